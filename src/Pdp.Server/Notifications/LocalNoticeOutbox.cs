using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Audit.Reading;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Notifications;
using Pdp.Review.Store;

namespace Pdp.Server.Notifications;

/// <summary>
/// The outbox of an instance with the local review store: the trail itself. Every review event is in the trail before
/// it is acknowledged, so this follows the trail (<see cref="TrailTail"/>) and turns its records into notices; what
/// it must not lose is only its position, the record before the oldest notice not yet delivered, kept in a small
/// file written atomically and fsync'd. After a restart or a kill -9 it reads on from there: nothing is lost, and a
/// notice delivered just before the crash may be delivered again with the same id (receivers drop the copy). Bounded
/// by <c>MaxBacklog</c>: with that many waiting it stops reading, and the trail keeps the rest (retention is held at
/// the position). Claimed by one dispatcher at a time; its deliveries finish concurrently, under one lock.
/// </summary>
public sealed class LocalNoticeOutbox : INoticeOutbox, IDisposable
{
    private const int ReadBatch = 256;

    private readonly IReviewStore _store;
    private readonly string _positionPath;
    private readonly int _maxBacklog;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly SortedDictionary<long, Entry> _entries = [];
    private readonly TrailTail _tail;
    private (long Seq, string Hash) _saved;
    private long _depth;

    public LocalNoticeOutbox(string activePath, (long Seq, string Hash) start, IReviewStore store, string positionPath, int maxBacklog, TimeProvider time)
    {
        _store = store;
        _positionPath = positionPath;
        _maxBacklog = maxBacklog;
        _time = time;
        _saved = ReadPosition(positionPath) ?? start;
        WritePosition(_saved);
        _tail = new TrailTail(activePath, _saved.Seq, _saved.Hash, verifyHashes: false);
    }

    /// <summary>The lowest trail seq this outbox still needs (retention keeps the segment holding it).</summary>
    public long KeepFrom => Volatile.Read(ref _saved.Seq) + 1;

    public long Depth => Interlocked.Read(ref _depth);

    /// <summary>Where the position of the trail's notices is kept, beside the trail (not a name the trail's files use).</summary>
    public static string PositionPathFor(string activePath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(activePath))!, "notify-position.txt");

    public async Task<IReadOnlyList<OutboxNotice>> ClaimAsync(int max, CancellationToken cancellationToken)
    {
        await PumpAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        lock (_sync)
        {
            var due = _entries.Values.Where(e => !e.Claimed && e.Due <= now).Take(max).ToList();
            foreach (var entry in due)
            {
                entry.Claimed = true;
            }

            SavePosition();
            return [.. due.Select(e => new OutboxNotice(e.Seq, e.Notice, e.Attempts, e.DeliveredTo, e.EnqueuedAt))];
        }
    }

    public Task FinishAsync(OutboxNotice notice, NoticeOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        lock (_sync)
        {
            _entries.Remove(notice.Id);
            Interlocked.Exchange(ref _depth, _entries.Count);
            SavePosition();
        }

        return Task.CompletedTask;
    }

    public Task RetryAsync(OutboxNotice notice, IReadOnlySet<int> deliveredTo, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        lock (_sync)
        {
            if (_entries.TryGetValue(notice.Id, out var entry))
            {
                entry.Attempts++;
                entry.DeliveredTo = deliveredTo;
                entry.Due = _time.GetUtcNow() + delay;
                entry.Claimed = false;
            }
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _tail.Dispose();

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        while (Count() is var count && count < _maxBacklog)
        {
            var lines = _tail.ReadAvailable(Math.Min(ReadBatch, _maxBacklog - count));
            foreach (var line in lines)
            {
                if (await NoticeOfAsync(line, cancellationToken).ConfigureAwait(false) is { } notice)
                {
                    lock (_sync)
                    {
                        _entries[line.Seq] = new Entry(line.Seq, line.PrevHash, notice, line.Time);
                    }
                }
            }

            if (lines.Count == 0)
            {
                break;
            }
        }

        Interlocked.Exchange(ref _depth, Count());
    }

    private int Count()
    {
        lock (_sync)
        {
            return _entries.Count;
        }
    }

    private async ValueTask<ReviewNotice?> NoticeOfAsync(TrailLine line, CancellationToken cancellationToken)
    {
        if (line.Type == DecisionEventJson.Type)
        {
            return DecisionHead.Read(line.Payload.Span).Verdict == DecisionVerdict.RequireHuman ? ReviewNotice.Opened(DecisionEventJson.Read(line.Payload)) : null;
        }

        if (!ReviewEventJson.IsReviewEvent(line.Type) || line.Type == ReviewEventJson.ApprovalUseType)
        {
            return null;
        }

        var payload = JsonNode.Parse(line.Payload.Span)!.AsObject();
        if (ReviewEventJson.Read(line.Type, payload, line.Seq) is not { } change
            || await _store.FindAsync(ReviewEventJson.DecisionIdOf(payload), cancellationToken).ConfigureAwait(false) is not { } view)
        {
            // A decision the store no longer keeps is settled long ago: nobody needs to hear of it now.
            return null;
        }

        var escalatedAt = change.Kind == ReviewChangeKind.Escalation ? change.At : view.Review.EscalatedAt;
        return ReviewNotice.Of(view.Decision, change, view.Review with { State = change.Kind == ReviewChangeKind.Expiry ? ReviewState.Expired : change.State, EscalatedAt = escalatedAt });
    }

    /// <summary>The record before the oldest notice still waiting, or the last record read when none waits.</summary>
    private void SavePosition()
    {
        var position = _entries.Count > 0 && _entries.First() is var (seq, entry) ? (seq - 1, entry.PrevHash) : (_tail.LastSeq, _tail.LastHash);
        if (position != _saved)
        {
            WritePosition(position);
            _saved = position;
        }
    }

    private void WritePosition((long Seq, string Hash) position)
    {
        // Written beside, fsync'd, then renamed over: a crash leaves the old position or the new, never half of one.
        var temp = _positionPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{position.Seq} {position.Hash}\n")));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _positionPath, overwrite: true);
    }

    private static (long Seq, string Hash)? ReadPosition(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var parts = File.ReadAllText(path).Trim().Split(' ');
        return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            ? (seq, parts[1])
            : throw new InvalidDataException($"{path} is not a notification position (\"<seq> <hash>\"); delete it to start from the end of the trail");
    }

    private sealed class Entry(long seq, string prevHash, ReviewNotice notice, DateTimeOffset enqueuedAt)
    {
        public long Seq { get; } = seq;

        public string PrevHash { get; } = prevHash;

        public ReviewNotice Notice { get; } = notice;

        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

        public int Attempts { get; set; }

        public IReadOnlySet<int> DeliveredTo { get; set; } = new HashSet<int>();

        public DateTimeOffset Due { get; set; } = DateTimeOffset.MinValue;

        public bool Claimed { get; set; }
    }
}

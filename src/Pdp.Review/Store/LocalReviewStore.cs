using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Rules;

namespace Pdp.Review.Store;

/// <summary>
/// Decisions in memory, for one process, rebuilt from its trail at start (<see cref="Restore"/>, <see cref="Replay"/>).
/// Bounded by <c>retain</c>: past that the oldest settled or review-free decisions are forgotten (the trail still
/// has them); pending reviews never are. Every change is written to the journal before it is applied.
/// </summary>
public sealed class LocalReviewStore(IReviewJournal journal, int retain) : IReviewStore
{
    private const int TrimStepsPerAdd = 8;

    private readonly ConcurrentDictionary<string, LocalEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LocalEntry> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    // ConcurrentDictionary.Count takes every lock; the hot path keeps its own count.
    private int _count;

    public string Kind => "local";

    public bool SharesReviews => false;

    public int Count => Volatile.Read(ref _count);

    public ReviewFeed Feed { get; } = new();

    public ValueTask AddAsync(DecisionFacts decision, CancellationToken cancellationToken)
    {
        Restore(decision);
        return ValueTask.CompletedTask;
    }

    /// <summary>Takes a decision (at start, from the trail; afterwards, as it is made).</summary>
    public void Restore(DecisionFacts decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        Keep(new LocalEntry(decision));
    }

    /// <summary>Takes a decision read back from the trail as its canonical payload; parsed only if it awaits a review.</summary>
    public void Restore(DecisionHead head, ReadOnlyMemory<byte> payload)
    {
        if (!_entries.ContainsKey(head.DecisionId))
        {
            Keep(new LocalEntry(head, payload));
        }
    }

    private void Keep(LocalEntry entry)
    {
        if (!_entries.TryAdd(entry.DecisionId, entry))
        {
            return;
        }

        Interlocked.Increment(ref _count);
        if (entry.IsPending)
        {
            _pending[entry.DecisionId] = entry;
            Feed.Publish(entry.DecisionId);
        }

        _order.Enqueue(entry.DecisionId);
        Trim();
    }

    /// <summary>Applies a change read back from the trail at <paramref name="seq"/>; false for a decision not kept.</summary>
    public bool Replay(string decisionId, ReviewChange change, long seq)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_entries.TryGetValue(decisionId, out var entry))
        {
            return false;
        }

        entry.Apply(change, seq);
        return true;
    }

    public ValueTask<ReviewView?> FindAsync(string decisionId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryGetValue(decisionId, out var entry) ? entry.View : null);

    public async Task<ReviewChangeResult?> ChangeAsync(string decisionId, ReviewChangePlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!_entries.TryGetValue(decisionId, out var entry))
        {
            return null;
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = entry.View;
            if (plan(current) is not { } change)
            {
                return new ReviewChangeResult(current, null, 0);
            }

            // Once queued, a record is written whatever the caller does; so is the state change that follows it.
            var seq = await journal.RecordAsync(current.Decision, change, CancellationToken.None).ConfigureAwait(false);
            var result = new ReviewChangeResult(entry.Apply(change, seq, current.Decision), change, seq);
            Feed.Publish(decisionId);
            return result;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    public async IAsyncEnumerable<ReviewView> WatchAsync(string decisionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_entries.TryGetValue(decisionId, out var entry))
        {
            yield break;
        }

        while (true)
        {
            var changed = entry.WhenChanged;
            var view = entry.View;
            yield return view;
            if (view.Review.State != ReviewState.Pending)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask<IReadOnlyList<string>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> due = [.. Pending().Where(e => e.Head.ExpiresAt <= now).OrderBy(e => e.Head.ExpiresAt).Take(limit).Select(e => e.DecisionId)];
        return ValueTask.FromResult(due);
    }

    public ValueTask<IReadOnlyList<string>> EscalationDueAsync(DateTimeOffset now, double fraction, int limit, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> due = [.. Pending()
            .Where(e => e.Head.EscalationGroup.Length > 0 && e.Head.ExpiresAt is not null && !e.IsEscalated)
            .Select(e => (e.DecisionId, At: ReviewEscalation.PointOf(e.Head.DecidedAt, e.Head.ExpiresAt!.Value, fraction)))
            .Where(e => e.At <= now)
            .OrderBy(e => e.At)
            .Take(limit)
            .Select(e => e.DecisionId)];
        return ValueTask.FromResult(due);
    }

    public ValueTask<IReadOnlyList<ReviewView>> PendingAsync(IReadOnlyCollection<string> groups, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var wanted = new HashSet<string>(groups, StringComparer.OrdinalIgnoreCase);
        IReadOnlyList<ReviewView> queue = [.. Pending()
            .Where(e => wanted.Contains(e.Head.ApproverGroup) || (e.Head.EscalationGroup.Length > 0 && e.IsEscalated && wanted.Contains(e.Head.EscalationGroup)))
            .OrderBy(e => e.Head.ExpiresAt ?? DateTimeOffset.MaxValue)
            .ThenBy(e => e.Head.DecidedAt)
            .Take(limit)
            .Select(e => e.View)
            .Where(v => v.Review.State == ReviewState.Pending)];
        return ValueTask.FromResult(queue);
    }

    public IReadOnlyDictionary<string, int> PendingCounts() =>
        Pending().GroupBy(e => e.Head.PolicyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private IEnumerable<LocalEntry> Pending()
    {
        foreach (var (id, entry) in _pending)
        {
            if (entry.IsPending)
            {
                yield return entry;
            }
            else
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    /// <summary>
    /// Forgets the oldest settled decisions while over the bound. Each call looks at a few entries only, so
    /// the cost per decision stays constant even when many reviews are pending (those go back in the queue).
    /// </summary>
    private void Trim()
    {
        for (var budget = TrimStepsPerAdd; Count > retain && budget > 0 && _order.TryDequeue(out var oldest); budget--)
        {
            if (_entries.TryGetValue(oldest, out var entry) && entry.IsPending)
            {
                _order.Enqueue(oldest);
                continue;
            }

            if (_entries.TryRemove(oldest, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}

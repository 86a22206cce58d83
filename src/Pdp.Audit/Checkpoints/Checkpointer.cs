using Pdp.Audit.Format;

namespace Pdp.Audit.Checkpoints;

/// <summary>
/// Writes a trail's checkpoints off the writer's thread, one at a time: state file (atomically), then the
/// <c>checkpoint</c> record through the normal queue, then the pointer (atomically), then retention. A crash at any
/// step leaves the previous pointer in force, naming a checkpoint that is still whole.
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    private readonly AuditTrail _trail;
    private readonly CheckpointOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _timer;
    private readonly Task _loop;
    private int _requested;
    private long _written;
    private long _failures;
    private long _completedSeq;

    public Checkpointer(AuditTrail trail, CheckpointOptions options, TimeProvider time)
    {
        _trail = trail;
        _options = options;
        _time = time;
        _timer = time.CreateTimer(static state => ((Checkpointer)state!).OnTimer(), this, options.Interval, options.Interval);
        _loop = Task.Run(RunAsync);
    }

    public long EveryRecords => _options.EveryRecords;

    /// <summary>Why the last failed checkpoint failed, for the log.</summary>
    public Exception? LastError { get; private set; }

    public long Written => Interlocked.Read(ref _written);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Seq of the newest checkpoint whose retention and clean-up are done too.</summary>
    public long CompletedSeq => Interlocked.Read(ref _completedSeq);

    /// <summary>Asks for a checkpoint soon; requests while one is pending are one request.</summary>
    public void Request()
    {
        if (Interlocked.Exchange(ref _requested, 1) == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>Stops the loop (letting a checkpoint in progress finish) and writes a last one if anything is new.</summary>
    public async Task StopAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await WriteOnceAsync().ConfigureAwait(false);
        Dispose();
    }

    public void Dispose()
    {
        _timer.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    private void OnTimer()
    {
        if (_trail.RecordsSinceCheckpoint > 0)
        {
            Request();
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Requests while this one is written are this one: the next batch asks again if it is still due.
            await WriteOnceAsync().ConfigureAwait(false);
            Interlocked.Exchange(ref _requested, 0);
            if (_trail.RecordsSinceCheckpoint >= _options.EveryRecords)
            {
                Request();
            }
        }
    }

    private async Task WriteOnceAsync()
    {
        try
        {
            if (_trail.Capture() is { } snapshot)
            {
                await WriteAsync(snapshot).ConfigureAwait(false);
                Interlocked.Increment(ref _written);
            }
        }
        catch (Exception e)
        {
            LastError = e;
            // Deliberately broad: a failed checkpoint costs a longer start-up, never a record; the next one tries again.
            Interlocked.Increment(ref _failures);
        }
    }

    private async Task WriteAsync(CheckpointSnapshot snapshot)
    {
        var active = _trail.ActivePath;
        var anchor = snapshot.Anchor;
        var (keep, drop) = Retention.Plan(_options.Retention, snapshot.Segments, snapshot.ActiveBytes, anchor.Seq, _trail.KeepFromSeq, active, _time.GetUtcNow());
        var retained = keep.Count > 0
            ? new RecordPosition(keep[0].FirstSeq - 1, keep[0].PrevHash, keep[0].Number, 0, 0)
            : new RecordPosition(snapshot.Active!.FirstSeq - 1, snapshot.Active.PrevHash, snapshot.ActiveNumber, 0, 0);
        // Sorted here, not in the capture, which holds the writer's lock (ITrailState.Snapshot).
        var entries = snapshot.Entries as List<TrailStateEntry> ?? [.. snapshot.Entries];
        entries.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
        var state = StateFile.Write(CheckpointFiles.StatePath(active, anchor.Seq), anchor.Seq, entries);
        var payload = new CheckpointPayload(snapshot.TrailId, anchor, state, retained, keep).ToJson();
        var canonical = CanonicalJson.Serialize(payload);
        var receipt = await _trail.EnqueueAsync(CheckpointPayload.RecordType, payload, CancellationToken.None).ConfigureAwait(false);
        _trail.Sync();
        var previous = _trail.Pointer;
        var pointer = new CheckpointPointer(receipt.Seq, receipt.Hash, canonical);
        pointer.Write(active);

        // At once: the state-file clean-up below must keep what the pointer on disk names, even if retention fails.
        _trail.CheckpointWritten(pointer);
        if (_options.Retention is { } retention && drop.Count > 0)
        {
            Retention.Apply(retention, drop, active);
            _trail.SegmentsRemoved(drop);
        }

        // The current state file and the previous one (a pointer replaced by a crash-interrupted write names it) stay.
        var live = new HashSet<string>(StringComparer.Ordinal) { state.File };
        if (previous is not null)
        {
            live.Add(previous.Payload.State.File);
        }

        foreach (var file in CheckpointFiles.StateFiles(active).Where(f => !live.Contains(Path.GetFileName(f))))
        {
            File.Delete(file);
        }

        Interlocked.Exchange(ref _completedSeq, pointer.Seq);
    }
}

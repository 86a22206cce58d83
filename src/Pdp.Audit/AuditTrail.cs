using System.Buffers;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Pdp.Audit.Checkpoints;
using Pdp.Audit.Format;
using Pdp.Audit.Opening;
using Pdp.Audit.Writing;

namespace Pdp.Audit;

/// <summary>
/// The append-only, hash-chained audit trail (JSON Lines). Safe for any number of concurrent callers.
/// <para>
/// Group commit: callers enqueue into a bounded channel; one writer loop drains whatever is queued (up to
/// <see cref="AuditTrailOptions.MaxBatch"/>), gives each record its seq and chains its hash, writes all lines, does one
/// fsync for the lot, and only then completes the callers. Under load one fsync is shared by many records, so durable
/// mode costs far less than an fsync per record.
/// </para>
/// <para>
/// Failures: if a write, fsync or rotation fails, every caller in the batch not yet on disk gets an
/// <see cref="AuditWriteException"/>, the partial bytes are cut off, and the next batch tries again (reopening the file),
/// reusing the failed seqs. The chain therefore never has a gap or a record nobody was told about.
/// </para>
/// </summary>
public sealed class AuditTrail : IAuditTrail, IAsyncDisposable
{
    /// <summary>The name of the thread that writes and fsyncs the trail (seen in <c>top -H</c> and profiles).</summary>
    internal const string WriterThreadName = "pdp-audit-writer";

    private readonly AuditTrailOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<PendingAppend> _queue;
    private readonly Lock _fileLock = new(); // the writer loop and the buffered-mode flush timer share the file
    private readonly ActiveFile _file;
    private readonly FileStream _writerLock;
    private readonly ITimer? _flushTimer;
    private readonly ArrayBufferWriter<byte> _segment = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _line = new(4096); // one encoded record, before it is known to fit
    private readonly List<AuditReceipt> _segmentReceipts = [];
    private readonly Task _writer;
    private readonly Lazy<Task> _disposal;
    private readonly ITrailState? _state;
    private readonly List<Segment> _segments;
    private readonly RecoveryPlan _plan;
    private readonly Checkpointer? _checkpointer;
    private long _lastSeq;
    private string _lastHash;
    private RecordPosition? _lastPosition;
    private string? _trailId;
    private long _checkpointSeq;
    private long _coveredSeq;
    private bool _stateReady;
    private bool _stateBroken;
    private long _batchCount;
    private long _failureCount;
    private int _disposed;
    private bool _closed;

    private AuditTrail(AuditTrailOptions options, TimeProvider time, FileStream writerLock, Func<string, FileStream> openFile, OpenedTrail opened, ITrailState? state)
    {
        _options = options;
        _time = time;
        _writerLock = writerLock;
        _segments = opened.Segments;
        _file = new ActiveFile(opened.Plan.ActivePath, opened.GoodLength, opened.NextRotation, openFile, opened.ActiveContents)
        {
            Rotated = segment => _segments.Add(segment),
        };
        Recovery = opened.Report;
        Pointer = opened.Pointer;
        _plan = opened.Plan;
        _trailId = opened.TrailId;
        _lastPosition = opened.LastPosition;
        _state = state;
        _stateReady = state is null;
        _checkpointSeq = opened.Pointer?.Seq ?? 0;
        _coveredSeq = opened.Pointer?.Payload.Anchor.Seq ?? 0;
        _lastSeq = Recovery.LastSeq;
        _lastHash = Recovery.LastHash;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        if (options.Durability == AuditDurability.Buffered)
        {
            _flushTimer = time.CreateTimer(static state => ((AuditTrail)state!).FlushOnTimer(), this, options.FlushInterval, options.FlushInterval);
        }

        _disposal = new Lazy<Task>(DisposeCoreAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        // The writer loop on a thread of its own (LongRunning) rather than a pool worker: in durable mode it spends most
        // of its time blocked in fsync, and a pool worker blocked there makes the pool inject threads, wake and spin more
        // for the requests (measured: docs/benchmarks.md, "Lean decision path").
        _writer = Task.Factory.StartNew(RunWriter, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (options.Checkpoints is { } checkpoints)
        {
            _checkpointer = new Checkpointer(this, checkpoints, time);
            if (_stateReady)
            {
                RequestCheckpointIfDue(afterOpen: true);
            }
        }
    }

    /// <summary>The options the trail was opened with.</summary>
    public AuditTrailOptions Options => _options;

    /// <summary>Full path of the active file.</summary>
    public string ActivePath => _file.Path;

    /// <summary>What opening found on disk, including any torn tail that was cut.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>The newest checkpoint (found on open, or written since); null before the first.</summary>
    internal CheckpointPointer? Pointer { get; private set; }

    /// <summary>The trail's id: the hash of its seq 1 record, carried in every checkpoint so it outlives retention. Null while empty.</summary>
    public string? TrailId => Volatile.Read(ref _trailId);

    /// <summary>Checkpoints written since open.</summary>
    public long CheckpointCount => _checkpointer?.Written ?? 0;

    /// <summary>Checkpoints that failed since open (the previous one stays in force); for metrics and alerts.</summary>
    public long CheckpointFailures => _checkpointer?.Failures ?? 0;

    /// <summary>Why the last failed checkpoint failed; null when none has.</summary>
    public Exception? LastCheckpointError => _checkpointer?.LastError;

    /// <summary>Seq of the newest checkpoint written since open whose retention is done as well.</summary>
    internal long CompletedCheckpointSeq => _checkpointer?.CompletedSeq ?? 0;

    /// <summary>
    /// The lowest seq a consumer of the trail still needs (the fleet log: its shipped position + 1), asked at every
    /// checkpoint; retention keeps every segment from the one holding it. Unset: nothing outside the trail needs it.
    /// </summary>
    public Func<long>? KeepFrom { get; set; }

    internal long KeepFromSeq => KeepFrom?.Invoke() ?? long.MaxValue;

    /// <summary>Seq of the newest checkpoint record; 0 before the first.</summary>
    public long CheckpointSeq => Interlocked.Read(ref _checkpointSeq);

    /// <summary>
    /// Records the newest checkpoint does not cover: those after its anchor, except the checkpoint record itself
    /// when it is the only one. What the next start-up would verify and replay.
    /// </summary>
    public long RecordsSinceCheckpoint
    {
        get
        {
            var since = LastSeq - Interlocked.Read(ref _coveredSeq);
            return since == 1 && LastSeq == CheckpointSeq ? 0 : since;
        }
    }

    /// <summary>fsyncs of trail files so far; under concurrent load it stays well below the record count (group commit).</summary>
    public long FsyncCount => _file.FsyncCount;

    /// <summary>The sequence number of the newest record written (0 for an empty trail).</summary>
    public long LastSeq => Volatile.Read(ref _lastSeq);

    /// <summary>
    /// The newest record's seq and hash, read together (the writer publishes them as one position): where a follower
    /// of the trail (<see cref="Reading.TrailTail"/>) starts when it is to see only what is written from now on.
    /// </summary>
    public (long Seq, string Hash) LastRecord => Volatile.Read(ref _lastPosition) is { } position
        ? (position.Seq, position.Hash)
        : (LastSeq, Volatile.Read(ref _lastHash));

    /// <summary>Batches the writer loop has processed, successful or not.</summary>
    public long BatchCount => Interlocked.Read(ref _batchCount);

    /// <summary>Batches whose write failed plus buffered-mode timer fsyncs that failed; for metrics and alerts.</summary>
    public long FailureCount => Interlocked.Read(ref _failureCount);

    /// <summary>
    /// Opens (or creates) the trail at <see cref="AuditTrailOptions.Path"/>: takes the writer lock, verifies every
    /// existing record across rotated files and the active file, cuts a torn last line (reported in
    /// <see cref="Recovery"/>), and continues the chain after the last valid record.
    /// </summary>
    /// <param name="options">Validated with <see cref="AuditTrailOptions.Validate"/>.</param>
    /// <param name="timeProvider">Clock for record times and the buffered-mode flush timer; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="cancellationToken">Cancels the recovery scan.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="AuditTrailCorruptException">A record other than the torn tail fails verification.</exception>
    /// <exception cref="IOException">The files cannot be read, or another writer holds the trail.</exception>
    public static Task<AuditTrail> OpenAsync(AuditTrailOptions options, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        OpenAsync(options, timeProvider, ActiveFile.OpenDefault, null, cancellationToken);

    /// <summary>
    /// As <see cref="OpenAsync(AuditTrailOptions, TimeProvider?, CancellationToken)"/>, keeping <paramref name="state"/>
    /// up to date for checkpoints: the caller enumerates <see cref="ReadRecovered"/> once (which feeds the state what
    /// was recovered) before the first append; from then on the writer feeds it each record.
    /// </summary>
    public static Task<AuditTrail> OpenAsync(AuditTrailOptions options, ITrailState? state, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        OpenAsync(options, timeProvider, ActiveFile.OpenDefault, state, cancellationToken);

    /// <summary>Test seam: <paramref name="openFile"/> opens the active file, so a test can hand in a stream that fails.</summary>
    internal static Task<AuditTrail> OpenAsync(AuditTrailOptions options, TimeProvider? timeProvider, Func<string, FileStream> openFile, CancellationToken cancellationToken) =>
        OpenAsync(options, timeProvider, openFile, null, cancellationToken);

    private static Task<AuditTrail> OpenAsync(AuditTrailOptions options, TimeProvider? timeProvider, Func<string, FileStream> openFile, ITrailState? state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid audit trail options: " + string.Join(" ", errors), nameof(options));
        }

        // Recovery reads and hashes the whole trail with blocking I/O; keep that off the caller's thread.
        return Task.Run(() => Open(options, timeProvider ?? TimeProvider.System, openFile, state, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// What start-up needs to rebuild its state, oldest first: the checkpoint's state records (with no time or hashes),
    /// then every record after the checkpoint's anchor — or, without a checkpoint, every record from seq 1. Each is
    /// checked again as it is read. Enumerate it once, before the first append.
    /// </summary>
    /// <exception cref="AuditTrailCorruptException">A record changed since opening.</exception>
    public IEnumerable<AuditRecord> ReadRecovered()
    {
        if (_plan.StatePath is { } statePath)
        {
            foreach (var record in StateFile.Read(statePath))
            {
                _state?.Observe(record.Seq, record.Type, record.CanonicalPayload);
                yield return record;
            }
        }

        if (_plan.LastSeq > (_plan.Start?.Seq ?? 0))
        {
            var scanner = new TrailScanner(_plan.Files, startsTrail: _plan.Start is null, activeFile: _plan.ActivePath) { Start = _plan.Start };
            foreach (var item in scanner.Scan())
            {
                if (item.Kind == ScanKind.Problem)
                {
                    throw new AuditTrailCorruptException(item.File, item.Line.Number, item.Seq, item.Problem!);
                }

                if (item.Kind == ScanKind.TornTail || item.Seq > _plan.LastSeq)
                {
                    break;
                }

                var record = item.Record!;
                _state?.Observe(record.Seq, record.Type, record.CanonicalPayload);
                yield return record;
            }
        }

        lock (_fileLock)
        {
            _stateReady = true;
        }

        RequestCheckpointIfDue(afterOpen: true);
    }

    /// <inheritdoc />
    public ValueTask<AuditReceipt> AppendAsync(string type, JsonObject payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return EnqueueAsync(type, payload, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<AuditReceipt> AppendCanonicalAsync(string type, ReadOnlyMemory<byte> canonicalPayload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CanonicalCheck.ThrowIfNotCanonicalObject(canonicalPayload.Span);
        return EnqueueAsync(new PendingAppend(type, canonicalPayload), cancellationToken);
    }

    /// <summary>Appends without the disposed check: the checkpoint written at a graceful stop goes in after it.</summary>
    internal ValueTask<AuditReceipt> EnqueueAsync(string type, JsonObject payload, CancellationToken cancellationToken) =>
        // Serialised here, on the caller's thread: a bad payload fails only its own caller, and the caller may reuse
        // or change the object as soon as this returns.
        EnqueueAsync(new PendingAppend(type, CanonicalJson.Serialize(payload)), cancellationToken);

    private async ValueTask<AuditReceipt> EnqueueAsync(PendingAppend pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The audit trail '{ActivePath}' is closed.", ex);
        }

        return await pending.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting appends, writes everything already queued, fsyncs and closes the file and the writer lock.
    /// </summary>
    /// <exception cref="AuditWriteException">The final fsync failed (buffered mode): recent acknowledged records may not be on disk.</exception>
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);

        // Every caller, first or not, awaits the same shutdown, so none returns before the final fsync.
        return new ValueTask(_disposal.Value);
    }

    private static AuditTrail Open(AuditTrailOptions options, TimeProvider time, Func<string, FileStream> openFile, ITrailState? state, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(options.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var writerLock = AcquireWriterLock(path);
        try
        {
            var opened = TrailOpener.Open(path, cancellationToken);
            var trail = new AuditTrail(options, time, writerLock, openFile, opened, state);
            if (opened.Report.TruncatedTail is not null)
            {
                // Cut now rather than at the first append, so the file on disk matches the report straight away.
                trail._file.EnsureOpen();
            }

            return trail;
        }
        catch
        {
            writerLock.Dispose();
            throw;
        }
    }

    private static FileStream AcquireWriterLock(string path)
    {
        // On Unix, .NET maps FileShare.None to an exclusive flock: a second writer, in this process or another, fails here.
        var lockPath = TrailFiles.LockPath(path);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException ex)
        {
            throw new IOException($"Could not take the writer lock '{lockPath}' of audit trail '{path}': is another writer running?", ex);
        }
    }

    private void RunWriter()
    {
        Thread.CurrentThread.Name = WriterThreadName;
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>(Math.Min(_options.MaxBatch, 4096));
        while (true)
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count == 0)
            {
                // Blocks only when the queue is empty; under load the loop finds the next batch already queued.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }

                continue;
            }

            lock (_fileLock)
            {
                WriteBatch(batch);
            }

            batch.Clear();
            RequestCheckpointIfDue(afterOpen: false);
        }
    }

    private void WriteBatch(List<PendingAppend> batch)
    {
        Interlocked.Increment(ref _batchCount);
        var durable = _options.Durability == AuditDurability.Durable;
        var committed = 0;
        try
        {
            var time = RecordCodec.ToRecordTime(_time.GetUtcNow());
            var timeText = RecordCodec.FormatTime(time);
            while (committed < batch.Count)
            {
                // A segment is the run of records that fits in the current file; usually the whole batch.
                _segment.ResetWrittenCount();
                _segmentReceipts.Clear();
                var seq = _lastSeq;
                var prev = _lastHash;
                var segmentPrev = prev;
                long lastOffset = 0;
                while (committed + _segmentReceipts.Count < batch.Count)
                {
                    var item = batch[committed + _segmentReceipts.Count];
                    _line.ResetWrittenCount();
                    var hash = RecordCodec.EncodeLine(_line, seq + 1, timeText, item.Type, item.CanonicalPayload.Span, prev);
                    var used = _file.Length + _segment.WrittenCount;
                    if (used > 0 && used + _line.WrittenCount > _options.MaxFileBytes)
                    {
                        break;
                    }

                    lastOffset = used;
                    _segment.Write(_line.WrittenSpan);
                    _segmentReceipts.Add(new AuditReceipt(++seq, hash, time));
                    prev = hash;
                }

                if (_segmentReceipts.Count == 0)
                {
                    // The next record does not fit the non-empty active file.
                    _file.Rotate();
                    continue;
                }

                _file.Append(_segment.WrittenSpan, fsync: durable);
                _file.Committed(_segmentReceipts[0].Seq, segmentPrev, _segmentReceipts.Count);
                Volatile.Write(ref _lastSeq, seq);
                _lastHash = prev;
                _lastPosition = new RecordPosition(seq, prev, _file.NextRotation, lastOffset, _file.Contents!.Lines);
                if (_segmentReceipts[0].Seq == 1)
                {
                    Volatile.Write(ref _trailId, _segmentReceipts[0].Hash);
                }

                Observe(batch, committed, _segmentReceipts);
                foreach (var receipt in _segmentReceipts)
                {
                    batch[committed++].TrySetResult(receipt);
                }
            }
        }
        catch (Exception ex)
        {
            // Deliberately broad: whatever broke (I/O, a full disk, a bug), the callers must hear of it as
            // AuditWriteException and the loop must live on to serve the next batch.
            Interlocked.Increment(ref _failureCount);
            _file.Abandon();
            for (var i = committed; i < batch.Count; i++)
            {
                // One exception per caller: a shared instance would have its stack trace appended to by every awaiter.
                batch[i].TrySetException(new AuditWriteException(
                    $"Audit record could not be written to '{_file.Path}' (seq {_lastSeq + 1 + i - committed} will be reused): {ex.Message}", ex));
            }
        }
    }

    /// <summary>Feeds committed records to the state, in seq order; a state that throws is not used for checkpoints again.</summary>
    private void Observe(List<PendingAppend> batch, int first, List<AuditReceipt> receipts)
    {
        if (_state is null || _stateBroken)
        {
            return;
        }

        if (!_stateReady)
        {
            // Appended before the recovered records were fed to the state: its order is lost for this run.
            _stateBroken = true;
            return;
        }

        try
        {
            for (var i = 0; i < receipts.Count; i++)
            {
                _state.Observe(receipts[i].Seq, batch[first + i].Type, batch[first + i].CanonicalPayload);
            }
        }
        catch (Exception)
        {
            // Deliberately broad: the record is written whatever the state makes of it; start-up then replays more.
            _stateBroken = true;
        }
    }

    private void RequestCheckpointIfDue(bool afterOpen)
    {
        if (_checkpointer is null)
        {
            return;
        }

        var since = RecordsSinceCheckpoint;
        var due = since >= _checkpointer.EveryRecords || (afterOpen && since > 0);
        if (due)
        {
            _checkpointer.Request();
        }
    }

    /// <summary>
    /// What a checkpoint stores, taken between two batches so it is exact at its anchor; null when nothing is new
    /// since the last checkpoint or the state cannot be trusted.
    /// </summary>
    internal CheckpointSnapshot? Capture()
    {
        lock (_fileLock)
        {
            if (_lastPosition is not { } anchor || !_stateReady || _stateBroken || RecordsSinceCheckpoint == 0 || _trailId is null)
            {
                return null;
            }

            return new CheckpointSnapshot(anchor, _state?.Snapshot() ?? [], [.. _segments], _file.Length, _file.Contents, _file.NextRotation, _trailId);
        }
    }

    /// <summary>
    /// A still copy of the trail as it stands between two batches, for verifying it beside the writer (see
    /// <see cref="Verification.TrailSnapshot"/>); dispose it to remove the copy.
    /// </summary>
    public Verification.TrailSnapshot Snapshot() =>
        Verification.TrailSnapshot.Take(ActivePath, () =>
        {
            // Flushed first in buffered mode, so the copy reads every committed byte from the file.
            _file.FlushToDisk();
            return (_file.Length, LastSeq);
        }, _fileLock);

    /// <summary>fsyncs the active file (buffered mode), so a checkpoint pointer never names a record not on disk.</summary>
    internal void Sync()
    {
        lock (_fileLock)
        {
            _file.FlushToDisk();
        }
    }

    /// <summary>Records a checkpoint as the newest, and forgets the segments retention removed after it.</summary>
    internal void CheckpointWritten(CheckpointPointer pointer)
    {
        lock (_fileLock)
        {
            Pointer = pointer;
            Interlocked.Exchange(ref _checkpointSeq, pointer.Seq);
            Interlocked.Exchange(ref _coveredSeq, pointer.Payload.Anchor.Seq);
        }
    }

    internal void SegmentsRemoved(IReadOnlyCollection<Segment> removed)
    {
        lock (_fileLock)
        {
            _segments.RemoveAll(removed.Contains);
        }
    }

    private void FlushOnTimer()
    {
        lock (_fileLock)
        {
            if (_closed)
            {
                return;
            }

            try
            {
                _file.FlushToDisk();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still dirty: the next tick, the next rotation or dispose tries again.
                Interlocked.Increment(ref _failureCount);
            }
        }
    }

    private async Task DisposeCoreAsync()
    {
        if (_checkpointer is not null)
        {
            // A graceful stop leaves a checkpoint at the end, so the next start replays nothing.
            await _checkpointer.StopAsync().ConfigureAwait(false);
        }

        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false); // drains everything queued before the channel closed
        if (_flushTimer is not null)
        {
            await _flushTimer.DisposeAsync().ConfigureAwait(false);
        }

        Exception? failure = null;
        lock (_fileLock)
        {
            _closed = true;
            try
            {
                _file.FlushToDisk();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failure = ex;
            }

            _file.Dispose();
        }

        await _writerLock.DisposeAsync().ConfigureAwait(false);
        if (failure is not null)
        {
            throw new AuditWriteException($"The final fsync of '{_file.Path}' failed; records acknowledged since the last fsync may be lost.", failure);
        }
    }
}

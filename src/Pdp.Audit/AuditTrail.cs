using System.Buffers;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Pdp.Audit.Format;
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
    private readonly AuditTrailOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<PendingAppend> _queue;
    private readonly Lock _fileLock = new(); // the writer loop and the buffered-mode flush timer share the file
    private readonly ActiveFile _file;
    private readonly FileStream _writerLock;
    private readonly ITimer? _flushTimer;
    private readonly ArrayBufferWriter<byte> _segment = new(64 * 1024);
    private readonly List<AuditReceipt> _segmentReceipts = [];
    private readonly Task _writer;
    private readonly Lazy<Task> _disposal;
    private long _lastSeq;
    private string _lastHash;
    private long _batchCount;
    private long _failureCount;
    private int _disposed;
    private bool _closed;

    private AuditTrail(AuditTrailOptions options, TimeProvider time, FileStream writerLock, ActiveFile file, RecoveryReport recovery)
    {
        _options = options;
        _time = time;
        _writerLock = writerLock;
        _file = file;
        Recovery = recovery;
        _lastSeq = recovery.LastSeq;
        _lastHash = recovery.LastHash;
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
        _writer = Task.Run(RunWriterAsync);
    }

    /// <summary>The options the trail was opened with.</summary>
    public AuditTrailOptions Options => _options;

    /// <summary>Full path of the active file.</summary>
    public string ActivePath => _file.Path;

    /// <summary>What opening found on disk, including any torn tail that was cut.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>fsyncs of trail files so far; under concurrent load it stays well below the record count (group commit).</summary>
    public long FsyncCount => _file.FsyncCount;

    /// <summary>The sequence number of the newest record written (0 for an empty trail).</summary>
    public long LastSeq => Volatile.Read(ref _lastSeq);

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
        OpenAsync(options, timeProvider, ActiveFile.OpenDefault, cancellationToken);

    /// <summary>Test seam: <paramref name="openFile"/> opens the active file, so a test can hand in a stream that fails.</summary>
    internal static Task<AuditTrail> OpenAsync(AuditTrailOptions options, TimeProvider? timeProvider, Func<string, FileStream> openFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid audit trail options: " + string.Join(" ", errors), nameof(options));
        }

        // Recovery reads and hashes the whole trail with blocking I/O; keep that off the caller's thread.
        return Task.Run(() => Open(options, timeProvider ?? TimeProvider.System, openFile, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<AuditReceipt> AppendAsync(string type, JsonObject payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // Serialised here, on the caller's thread: a bad payload fails only its own caller, and the caller may reuse
        // or change the object as soon as this returns.
        var pending = new PendingAppend(type, CanonicalJson.Serialize(payload));
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

    private static AuditTrail Open(AuditTrailOptions options, TimeProvider time, Func<string, FileStream> openFile, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(options.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var writerLock = AcquireWriterLock(path);
        try
        {
            var rotated = TrailFiles.FindRotated(path);
            var activeExists = File.Exists(path);
            var files = TrailFiles.TrailOf(path);
            var scanner = new TrailScanner(files, startsTrail: true, activeFile: path);
            TruncatedTail? torn = null;
            foreach (var item in scanner.Scan())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (item.Kind == ScanKind.Problem)
                {
                    throw new AuditTrailCorruptException(item.File, item.Line.Number, item.Seq, item.Problem!);
                }

                if (item.Kind == ScanKind.TornTail)
                {
                    var cut = new FileInfo(path).Length - item.Line.Offset;
                    torn = new TruncatedTail(path, item.Line.Number, item.Line.Offset, cut, item.Seq!.Value, item.Problem!);
                }
            }

            var nextRotation = rotated.Count > 0 ? rotated[^1].Number + 1 : 1;
            var file = new ActiveFile(path, activeExists ? scanner.GoodLength : 0, nextRotation, openFile);
            if (torn is not null)
            {
                // Cut now rather than at the first append, so the file on disk matches the report straight away.
                file.EnsureOpen();
            }

            var report = new RecoveryReport(scanner.FilesOpened, scanner.RecordsChecked, scanner.LastSeq, scanner.LastHash, torn);
            return new AuditTrail(options, time, writerLock, file, report);
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

    private async Task RunWriterAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>(Math.Min(_options.MaxBatch, 4096));
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            lock (_fileLock)
            {
                WriteBatch(batch);
            }

            batch.Clear();
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
                while (committed + _segmentReceipts.Count < batch.Count)
                {
                    var item = batch[committed + _segmentReceipts.Count];
                    var line = RecordCodec.EncodeLine(seq + 1, timeText, item.Type, item.CanonicalPayload, prev, out var hash);
                    var used = _file.Length + _segment.WrittenCount;
                    if (used > 0 && used + line.Length > _options.MaxFileBytes)
                    {
                        break;
                    }

                    _segment.Write(line);
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
                Volatile.Write(ref _lastSeq, seq);
                _lastHash = prev;
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

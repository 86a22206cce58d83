using Pdp.Audit.Format;

namespace Pdp.Audit.Writing;

/// <summary>What a trail file holds: the seq of its first record and the hash that record links to, its line count and last seq.</summary>
internal sealed record FileContents(long FirstSeq, string PrevHash, long Lines, long LastSeq)
{
    /// <summary>The first record's hash when it was read (the trail id, for the file that starts the trail).</summary>
    public string? FirstHash { get; init; }
}

/// <summary>
/// The active file as the writer sees it: a stream that only ever grows by whole committed lines. <see cref="Length"/>
/// is the length of the good prefix; anything beyond it (a failed or partial write) is cut before the next write, so a
/// record that failed never stays in the file and its seq can be reused. Not thread-safe: the writer serialises access.
/// </summary>
internal sealed class ActiveFile : IDisposable
{
    private readonly Func<string, FileStream> _open;
    private readonly string _directory;
    private FileStream? _stream;
    private long _fsyncCount;

    /// <param name="path">Full path of the active file.</param>
    /// <param name="length">Length of its good prefix, as recovery found it.</param>
    /// <param name="nextRotation">Number the next rotated file gets.</param>
    /// <param name="open">Opens the active file for writing; a seam so a test can inject a failing stream.</param>
    /// <param name="contents">What recovery found in it: first seq, the hash before it, and line count (null: empty).</param>
    public ActiveFile(string path, long length, long nextRotation, Func<string, FileStream> open, FileContents? contents = null)
    {
        Path = path;
        Length = length;
        NextRotation = nextRotation;
        Contents = contents;
        _open = open;
        _directory = System.IO.Path.GetDirectoryName(path)!;
    }

    public string Path { get; }

    /// <summary>Bytes of whole, committed lines in the active file.</summary>
    public long Length { get; private set; }

    public long NextRotation { get; private set; }

    /// <summary>Told of each rotation as soon as the rename is done (the trail keeps its segment list by it).</summary>
    public Action<Segment>? Rotated { get; init; }

    /// <summary>The records in the file (first seq, the hash it links to, lines, last seq); null while it holds none.</summary>
    public FileContents? Contents { get; private set; }

    /// <summary>Written to the OS but not yet fsynced (buffered mode).</summary>
    public bool Dirty { get; private set; }

    /// <summary>How many fsyncs of the file succeeded (directory syncs are not counted).</summary>
    public long FsyncCount => Interlocked.Read(ref _fsyncCount);

    /// <summary>Default way to open the active file.</summary>
    public static FileStream OpenDefault(string path) =>
        // No FileStream buffer: every batch is one Write of a ready buffer. Read sharing lets readers and the verifier
        // follow a live trail; a second writer is kept out by the lock file instead, since FileShare is advisory here.
        new(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);

    /// <summary>Opens the file if it is closed and cuts anything past <see cref="Length"/>.</summary>
    public void EnsureOpen()
    {
        if (_stream is not null)
        {
            return;
        }

        var created = !File.Exists(Path);
        var stream = _open(Path);
        try
        {
            var actual = stream.Length;
            if (actual < Length)
            {
                throw new IOException($"'{Path}' is {actual} bytes but {Length} bytes of records were committed to it: it was truncated outside the audit trail.");
            }

            if (actual > Length)
            {
                // A failed write left bytes behind (or recovery found a torn tail): they are not records.
                stream.SetLength(Length);
                stream.Flush(flushToDisk: true);
                Interlocked.Increment(ref _fsyncCount);
            }

            stream.Seek(Length, SeekOrigin.Begin);
            if (created)
            {
                NativeMethods.SyncDirectory(_directory);
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _stream = stream;
    }

    /// <summary>Appends whole lines; with <paramref name="fsync"/> they are on disk when this returns.</summary>
    public void Append(ReadOnlySpan<byte> lines, bool fsync)
    {
        EnsureOpen();
        try
        {
            _stream!.Write(lines);
            if (fsync)
            {
                _stream.Flush(flushToDisk: true);
                Interlocked.Increment(ref _fsyncCount);
            }
        }
        catch
        {
            Abandon();
            throw;
        }

        Length += lines.Length;
        Dirty = !fsync;
    }

    /// <summary>Notes records just appended, for checkpoints: they name the file, offset and line of a record.</summary>
    public void Committed(long firstSeq, string prevHash, int count)
    {
        Contents = Contents is { } c
            ? c with { Lines = c.Lines + count, LastSeq = firstSeq + count - 1 }
            : new FileContents(firstSeq, prevHash, count, firstSeq + count - 1);
    }

    /// <summary>fsyncs what was written since the last fsync; a no-op when nothing was.</summary>
    public void FlushToDisk()
    {
        if (!Dirty || _stream is null)
        {
            return;
        }

        try
        {
            _stream.Flush(flushToDisk: true);
        }
        catch
        {
            // Keep Dirty so the next timer tick or dispose tries again; close so the next write reopens the file.
            Abandon();
            throw;
        }

        Interlocked.Increment(ref _fsyncCount);
        Dirty = false;
    }

    /// <summary>
    /// Closes the active file, renames it to the next rotated name and leaves the active path free for a new file.
    /// Each step updates state only once it succeeded, so a failure part-way is retried from where it stopped.
    /// </summary>
    public void Rotate()
    {
        // Rotated files are never torn: everything in them is on disk before the rename.
        EnsureOpen();
        try
        {
            _stream!.Flush(flushToDisk: true);
        }
        catch
        {
            Abandon();
            throw;
        }

        Interlocked.Increment(ref _fsyncCount);
        Dirty = false;
        _stream.Dispose();
        _stream = null;

        var target = TrailFiles.RotatedPath(Path, NextRotation);
        File.Move(Path, target, overwrite: false);
        var rotated = new Segment(NextRotation, Contents?.FirstSeq ?? 0, Contents?.LastSeq ?? 0, Length, Contents?.PrevHash ?? RecordCodec.GenesisHash);
        NextRotation++;
        Length = 0;
        Contents = null;
        Rotated?.Invoke(rotated);

        // The new active file exists from now on, not only from its first record: rotated files without an active
        // file then always mean the newest records were removed, and start-up can refuse that.
        EnsureOpen();
        NativeMethods.SyncDirectory(_directory);
    }

    /// <summary>Best effort after a failure: cut back to the good length and close, so the next batch starts clean.</summary>
    public void Abandon()
    {
        if (_stream is null)
        {
            return;
        }

        try
        {
            _stream.SetLength(Length);
        }
        catch (IOException)
        {
            // The next EnsureOpen cuts it instead.
        }
        catch (UnauthorizedAccessException)
        {
        }

        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Dispose flushes nothing (no buffer) but may still report a deferred error; the file is reopened anyway.
        }

        _stream = null;
    }

    public void Dispose() => Abandon();
}

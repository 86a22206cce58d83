namespace Pdp.Audit.Writing;

/// <summary>
/// Passes writes on to a file and, after every <paramref name="writeOutBytes"/>, has the kernel write that range to the
/// device and waits for it (<see cref="NativeMethods.WriteOut"/>), so a large file never holds more than that much
/// unwritten data — what PostgreSQL's <c>checkpoint_flush_after</c> and RocksDB's <c>bytes_per_sync</c> do. Why it
/// matters here: in ext4's ordered mode the journal commit an fsync forces also writes out the dirty data of every
/// file allocated in that transaction, so a checkpoint's state file of tens of MB, synced only at its end, made the
/// trail's group commit that happened to share the commit wait for all of it (trail fsync up to 78 ms, against 6 ms
/// with no checkpoint running, in an open loop at 2,000 decisions/s; docs/benchmarks.md, seventh pass).
/// </summary>
internal sealed class WriteBehindStream(FileStream file, int writeOutBytes) : Stream
{
    private readonly int _writeOutBytes = writeOutBytes > 0 ? writeOutBytes : throw new ArgumentOutOfRangeException(nameof(writeOutBytes), writeOutBytes, "must be positive");
    private readonly long _origin = file.Position;
    private long _written;
    private long _writtenOut;

    /// <summary>How many ranges were written out while writing (zero where the call is not available).</summary>
    public int WriteOuts { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _written;

    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Flush() => file.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        _written += buffer.Length;
        if (_written - _writtenOut >= _writeOutBytes)
        {
            // The file stream's own buffer first, so the range asked for is really in the page cache.
            file.Flush();
            if (NativeMethods.WriteOut(file.SafeFileHandle, _origin + _writtenOut, _written - _writtenOut))
            {
                WriteOuts++;
            }

            _writtenOut = _written;
        }
    }

    public override void WriteByte(byte value) => Write([value]);
}

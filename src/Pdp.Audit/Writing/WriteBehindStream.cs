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
internal sealed class WriteBehindStream(FileStream file, int writeOutBytes) : WriteOnlyStream
{
    private readonly int _writeOutBytes = writeOutBytes > 0 ? writeOutBytes : throw new ArgumentOutOfRangeException(nameof(writeOutBytes), writeOutBytes, "must be positive");
    private readonly long _origin = file.Position;
    private long _writtenOut;

    /// <summary>How many ranges were written out while writing (zero where the call is not available).</summary>
    public int WriteOuts { get; private set; }

    public override void Flush() => file.Flush();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        Written += buffer.Length;
        if (Written - _writtenOut >= _writeOutBytes)
        {
            // The file stream's own buffer first, so the range asked for is really in the page cache.
            file.Flush();
            if (NativeMethods.WriteOut(file.SafeFileHandle, _origin + _writtenOut, Written - _writtenOut))
            {
                WriteOuts++;
            }

            _writtenOut = Written;
        }
    }
}

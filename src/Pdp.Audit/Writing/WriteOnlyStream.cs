namespace Pdp.Audit.Writing;

/// <summary>
/// A forward-only stream that passes writes on (hashing them, writing them out): everything but <see cref="Write(ReadOnlySpan{byte})"/>,
/// <see cref="Stream.Flush"/> and the count of bytes written is the same for all of them, so it is here once.
/// </summary>
internal abstract class WriteOnlyStream : Stream
{
    /// <summary>Bytes written through this stream.</summary>
    public long Written { get; protected set; }

    public sealed override bool CanRead => false;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => true;

    public sealed override long Length => Written;

    public sealed override long Position { get => Written; set => throw new NotSupportedException(); }

    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public sealed override void WriteByte(byte value) => Write([value]);

    public abstract override void Write(ReadOnlySpan<byte> buffer);
}

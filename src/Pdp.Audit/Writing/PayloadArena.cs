namespace Pdp.Audit.Writing;

/// <summary>
/// Where payloads that are kept in memory for a while, and then forgotten in the order they came, live: packed into
/// large shared segments instead of an array each. A segment is a byte array on the large object heap, which the GC
/// neither copies nor scans (it holds no references), so a kept payload costs no work at the young collections. One
/// array per payload would be copied into gen1 and again into gen2 before it is forgotten, and the pauses grow with
/// what is copied: at 20,000 retained decisions that was most of every young collection (docs/benchmarks.md).
/// Each slice keeps its segment alive, so a segment goes once every payload in it is forgotten; payloads kept
/// out of order (a pending review, a request id in the idempotency window) belong in arrays of their own instead,
/// or one of them would hold a whole segment. Thread-safe: callers copy into disjoint ranges.
/// </summary>
public sealed class PayloadArena
{
    /// <summary>Segment size: past the large object threshold (85,000 bytes), small enough that the tail of the last one wastes little.</summary>
    public const int SegmentBytes = 1024 * 1024;

    /// <summary>Payloads above this get an array of their own: a few of them would fill a segment.</summary>
    public const int MaxPackedBytes = 64 * 1024;

    private readonly Lock _grow = new();
    private Segment _current = new();

    /// <summary>The arena the decision path packs its recorded payloads into.</summary>
    public static PayloadArena Shared { get; } = new();

    /// <summary>How many segments have been started (for tests and benchmarks).</summary>
    public long SegmentsStarted { get; private set; } = 1;

    /// <summary>A copy of <paramref name="bytes"/> that stays valid, unchanged, for as long as it is referenced.</summary>
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxPackedBytes)
        {
            return bytes.ToArray();
        }

        while (true)
        {
            var segment = Volatile.Read(ref _current);
            var end = Interlocked.Add(ref segment.Used, bytes.Length);
            if (end <= SegmentBytes)
            {
                var start = end - bytes.Length;
                bytes.CopyTo(segment.Bytes.AsSpan(start));
                return new ReadOnlyMemory<byte>(segment.Bytes, start, bytes.Length);
            }

            // Full: one caller starts the next segment, the others retry on it. The overshoot of Used is harmless.
            lock (_grow)
            {
                if (ReferenceEquals(Volatile.Read(ref _current), segment))
                {
                    Volatile.Write(ref _current, new Segment());
                    SegmentsStarted++;
                }
            }
        }
    }

    private sealed class Segment
    {
        public readonly byte[] Bytes = GC.AllocateUninitializedArray<byte>(SegmentBytes);
        public int Used;
    }
}

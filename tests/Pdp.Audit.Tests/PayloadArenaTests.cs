using System.Runtime.InteropServices;
using Pdp.Audit.Writing;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>
/// Kept payloads packed into shared segments: each copy reads back exactly what was given, for as long as it is held,
/// whatever is copied beside it at the same time; a copy lives in a segment on the large object heap (not an array
/// of its own, which the young collections would copy); oversized payloads get arrays of their own.
/// </summary>
public sealed class PayloadArenaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(1_500, true)]
    [InlineData(PayloadArena.MaxPackedBytes, true)]
    [InlineData(PayloadArena.MaxPackedBytes + 1, false)]
    public void Copy_Payload_ReadsBackPackedInALargeSegmentOrInAnArrayOfItsOwn(int length, bool packed)
    {
        var arena = new PayloadArena();
        var bytes = Pattern(length, seed: 7);

        var copy = arena.Copy(bytes);

        Assert.True(copy.Span.SequenceEqual(bytes));
        Assert.True(MemoryMarshal.TryGetArray(copy, out var memory));
        Assert.Equal(packed ? PayloadArena.SegmentBytes : length, memory.Array!.Length);
        if (packed)
        {
            Assert.Equal(2, GC.GetGeneration(memory.Array)); // the large object heap counts as gen2 from the start
        }
    }

    [Fact]
    public void Copy_PastASegment_StartsTheNextAndKeepsEveryCopyIntact()
    {
        var arena = new PayloadArena();
        var copies = new List<(ReadOnlyMemory<byte> Copy, byte[] Original)>();
        var total = 0L;
        for (var i = 0; total < 3L * PayloadArena.SegmentBytes; i++)
        {
            var bytes = Pattern(1 + (i * 7919 % 40_000), seed: i);
            copies.Add((arena.Copy(bytes), bytes));
            total += bytes.Length;
        }

        Assert.True(arena.SegmentsStarted >= 3, $"{arena.SegmentsStarted} segments for {total} bytes");
        Assert.All(copies, c => Assert.True(c.Copy.Span.SequenceEqual(c.Original)));
    }

    [Fact]
    public async Task Copy_ConcurrentCallers_DisjointCopiesEachIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var arena = new PayloadArena();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var mine = new List<(ReadOnlyMemory<byte>, byte[])>();
            for (var i = 0; i < 2_000; i++)
            {
                var bytes = Pattern(100 + ((w * 31 + i) % 3_000), seed: (w * 10_000) + i);
                mine.Add((arena.Copy(bytes), bytes));
            }

            return mine;
        }, ct)).ToArray();

        var results = await Task.WhenAll(workers).WaitAsync(Timeout, ct);

        var all = results.SelectMany(r => r).ToList();
        Assert.All(all, c => Assert.True(c.Item1.Span.SequenceEqual(c.Item2)));
        foreach (var inSegment in all.Select(c => MemoryMarshal.TryGetArray(c.Item1, out var m) ? m : throw new InvalidOperationException()).GroupBy(m => m.Array))
        {
            var ordered = inSegment.OrderBy(m => m.Offset).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                Assert.True(ordered[i - 1].Offset + ordered[i - 1].Count <= ordered[i].Offset, "two copies share bytes");
            }
        }
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

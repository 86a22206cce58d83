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
    [InlineData(1)]
    [InlineData(1_500)]
    [InlineData(PayloadArena.MaxPackedBytes)]
    public void Copy_PackedPayload_ReadsBackInASharedLargeSegment(int length)
    {
        var arena = new PayloadArena();
        var bytes = Pattern(length, seed: 7);

        var copy = arena.Copy(bytes);

        Assert.True(copy.Span.SequenceEqual(bytes));
        Assert.True(MemoryMarshal.TryGetArray(copy, out var segment));
        Assert.Equal(PayloadArena.SegmentBytes, segment.Array!.Length);
        Assert.Equal(2, GC.GetGeneration(segment.Array));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(PayloadArena.MaxPackedBytes + 1)]
    public void Copy_EmptyOrOversized_ArrayOfItsOwn(int length)
    {
        var arena = new PayloadArena();
        var bytes = Pattern(length, seed: 3);

        var copy = arena.Copy(bytes);

        Assert.True(copy.Span.SequenceEqual(bytes));
        Assert.True(MemoryMarshal.TryGetArray(copy, out var segment));
        Assert.Equal(length, segment.Array!.Length);
        Assert.Equal(1, arena.SegmentsStarted);
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
        var ranges = all.Select(c => MemoryMarshal.TryGetArray(c.Item1, out var s) ? (s.Array!, s.Offset, s.Count) : throw new InvalidOperationException())
            .GroupBy(r => r.Item1)
            .SelectMany(g => g.OrderBy(r => r.Offset).Zip(g.OrderBy(r => r.Offset).Skip(1)))
            .Where(p => p.First.Offset + p.First.Count > p.Second.Offset);
        Assert.Empty(ranges);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

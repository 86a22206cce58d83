using System.Text;
using Pdp.Audit.Checkpoints;
using Pdp.Audit.Writing;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>
/// Large files written in the background (a checkpoint's state) are written out as they go, so an fsync of the trail
/// caught in the same journal commit never waits for tens of MB. Real files; the kernel call is really made.
/// </summary>
public sealed class WriteBehindTests : TrailFixture
{
    [Fact]
    public void WriteOut_RangeOfAFileBeingWritten_IsDoneOnLinux()
    {
        var path = Path.Combine(Dir, "range.bin");
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(new byte[512 * 1024]);
        file.Flush();

        // False would mean the call is missing or refused: then checkpoints would pile up unwritten data again.
        Assert.Equal(OperatingSystem.IsLinux(), NativeMethods.WriteOut(file.SafeFileHandle, 0, file.Length));
        Assert.False(NativeMethods.WriteOut(file.SafeFileHandle, 0, 0));
    }

    [Theory]
    [InlineData(10, 100_000, 250_000, 3)]
    [InlineData(10, 100_000, 100_000, 10)]
    [InlineData(40, 64 * 1024, 256 * 1024, 10)]
    [InlineData(10, 100_000, 2_000_000, 0)]
    public void Write_ChunksPastTheThreshold_WritesOutEachRangeAndKeepsTheBytes(int chunks, int chunkBytes, int writeOutBytes, int expectedWriteOuts)
    {
        var path = Path.Combine(Dir, "behind.bin");
        var expected = new byte[chunks * chunkBytes];
        Random.Shared.NextBytes(expected);
        int writeOuts;
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            var behind = new WriteBehindStream(file, writeOutBytes);
            for (var i = 0; i < chunks; i++)
            {
                behind.Write(expected.AsSpan(i * chunkBytes, chunkBytes));
            }

            writeOuts = behind.WriteOuts;
            Assert.Equal(expected.Length, behind.Length);
        }

        Assert.Equal(OperatingSystem.IsLinux() ? expectedWriteOuts : 0, writeOuts);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void New_ThresholdNotPositive_Refused(int writeOutBytes)
    {
        using var file = new FileStream(Path.Combine(Dir, "refused.bin"), FileMode.Create, FileAccess.Write);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WriteBehindStream(file, writeOutBytes));
        Assert.Equal("writeOutBytes", error.ParamName);
    }

    [Fact]
    public void StateFileWrite_StateOfSeveralMegabytes_WrittenOutAsItGoesAndReadBackWhole()
    {
        var payload = Encoding.UTF8.GetBytes($$"""{"note":"{{new string('x', 1000)}}"}""");
        var entries = Enumerable.Range(1, 4000).Select(i => new TrailStateEntry(i, "decision", payload)).ToList();
        var path = Path.Combine(Dir, "audit.state.jsonl");

        var state = StateFile.Write(path, anchorSeq: 4000, entries, StateFile.WriteOutBytes, out var writeOuts);

        // ≈ 4 MB at 256 KB a range (the state goes out in chunks of a little over 256 KB: whole lines): written out
        // about 15 times as it is written, not once at the end.
        Assert.True(state.Bytes > 4_000_000, $"{state.Bytes} bytes");
        var (fewest, most) = OperatingSystem.IsLinux()
            ? ((int)(state.Bytes / (StateFile.WriteOutBytes + 2 * payload.Length)) - 1, (int)(state.Bytes / StateFile.WriteOutBytes))
            : (0, 0);
        Assert.InRange(writeOuts, fewest, most);
        Assert.Null(StateFile.Check(path, state, checkpointSeq: 4001));
        var read = StateFile.Read(path).ToList();
        Assert.Equal(entries.Select(e => e.Seq), read.Select(r => r.Seq));
        Assert.All(read, r => Assert.Equal(payload, r.CanonicalPayload.ToArray()));
    }
}

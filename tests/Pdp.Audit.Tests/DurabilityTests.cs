using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class DurabilityTests : TrailFixture
{
    [Fact]
    public async Task AppendAsync_Durable_AcknowledgesOnlyAfterFsync()
    {
        var trail = await Open(Options());

        await AppendMany(trail, 3);

        // Sequential callers: each append is its own batch, and each batch is fsynced before its caller resumes.
        Assert.Equal(3, trail.FsyncCount);
        Assert.Equal(3, trail.BatchCount);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task AppendAsync_Buffered_AcknowledgesAfterWriteAndFsyncsOnDispose()
    {
        var trail = await Open(Options(durability: AuditDurability.Buffered) with { FlushInterval = TimeSpan.FromHours(1) });

        await AppendMany(trail, 20);
        var fsyncsBeforeDispose = trail.FsyncCount;
        var visibleBeforeDispose = AuditTrailReader.Read(ActivePath).Count();
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(0, fsyncsBeforeDispose);
        Assert.Equal(20, visibleBeforeDispose); // written to the OS already: a process crash would lose nothing
        Assert.Equal(1, trail.FsyncCount);
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(20, result.RecordsChecked);
    }

    [Fact]
    public async Task AppendAsync_Buffered_FsyncsOnTimer()
    {
        var trail = await Open(Options(durability: AuditDurability.Buffered) with { FlushInterval = TimeSpan.FromMilliseconds(20) });
        await AppendMany(trail, 5);

        await WaitUntil(() => trail.FsyncCount >= 1).WaitAsync(Timeout, Ct);
        await Task.Delay(100, Ct).WaitAsync(Timeout, Ct); // let a tick that caught records mid-append fsync the rest
        var settled = trail.FsyncCount;
        await Task.Delay(200, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(settled, trail.FsyncCount); // ten more ticks, nothing new written, so no further fsync
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Theory]
    [InlineData(Fault.Write)]
    [InlineData(Fault.Fsync)]
    public async Task AppendAsync_WriteOrFsyncFails_CallersGetAuditWriteExceptionAndTrailRecovers(Fault fault)
    {
        // The one test that goes through the stream seam: a disk that fails on demand cannot be had from real files
        // as root. The stream is still a real FileStream on a real file; it only fails when told to.
        var disk = new FaultSwitch();
        var trail = await AuditTrail.OpenAsync(Options(), null, path => new FaultyFileStream(path, disk), Ct).WaitAsync(Timeout, Ct);
        await AppendMany(trail, 3);
        var goodLength = new FileInfo(ActivePath).Length;

        disk.Fault = fault;
        var failed = Enumerable.Range(4, 10).Select(i => trail.AppendAsync("decision", Payload(i), Ct).AsTask()).ToList();
        foreach (var task in failed)
        {
            var error = await Assert.ThrowsAsync<AuditWriteException>(() => task).WaitAsync(Timeout, Ct);
            Assert.IsType<IOException>(error.InnerException);
        }

        Assert.Equal(goodLength, new FileInfo(ActivePath).Length); // partial bytes were cut back
        Assert.True(trail.FailureCount >= 1);

        disk.Fault = Fault.None;
        var receipts = await AppendMany(trail, 2, first: 100);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal([4L, 5L], receipts.Select(static r => r.Seq)); // the failed seqs are reused
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal([1, 2, 3, 100, 101], AuditTrailReader.Read(ActivePath).Select(static r => r.Payload["n"]!.GetValue<int>()));
    }

    public enum Fault
    {
        None,
        Write,
        Fsync,
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10, Ct).WaitAsync(Timeout, Ct);
        }
    }

    private sealed class FaultSwitch
    {
        public volatile Fault Fault;
    }

    /// <summary>A real file that fails like a full disk: half a write lands, then the write throws; or fsync throws.</summary>
    private sealed class FaultyFileStream(string path, FaultSwitch disk)
        : FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0)
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (disk.Fault == Fault.Write)
            {
                base.Write(buffer[..(buffer.Length / 2)]);
                throw new IOException("No space left on device");
            }

            base.Write(buffer);
        }

        public override void Flush(bool flushToDisk)
        {
            if (flushToDisk && disk.Fault == Fault.Fsync)
            {
                throw new IOException("Input/output error");
            }

            base.Flush(flushToDisk);
        }
    }
}

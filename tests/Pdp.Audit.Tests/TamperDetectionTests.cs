using Pdp.Audit.Checkpoints;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>Every deletion or replacement is refused on open, by name, and <c>audit verify</c> names it too.</summary>
public sealed class TamperDetectionTests : CheckpointFixture
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Open_ActiveFileDeletedWhileRotatedSegmentsExist_RefusesNamingIt(bool checkpointed)
    {
        if (checkpointed)
        {
            await WriteCheckpointed(CheckpointOptions(), 200);
        }
        else
        {
            var trail = await Open(Options(SmallFile));
            await AppendMany(trail, 200);
            await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        }

        Assert.NotEmpty(RotatedFiles());
        File.Delete(ActivePath);

        await AssertRefused($"the active file '{ActivePath}' is missing");
    }

    [Fact]
    public async Task Open_MiddleSegmentBelowCheckpointDeleted_RefusesNamingIt()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        var middle = RotatedFiles()[2];
        File.Delete(middle);

        await AssertRefused($"segment '{middle}' is missing");
    }

    [Fact]
    public async Task Open_RotatedSegmentBelowCheckpointTruncated_RefusesNamingIt()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        var segment = RotatedFiles()[1];
        var lines = ReadLines(segment);
        WriteLines(segment, lines[..^1]);

        await AssertRefused($"segment '{segment}' (seq");
    }

    [Fact]
    public async Task Open_TrailTruncatedBelowTheCheckpoint_RefusesNamingTheCheckpoint()
    {
        await WriteCheckpointed(CheckpointOptions(maxFileBytes: 1024 * 1024), 200);
        var lines = ReadLines(ActivePath);
        WriteLines(ActivePath, lines[..150]);

        await AssertRefused("the anchor record (seq", verifyProblem: "before the checkpoint at seq");
    }

    [Fact]
    public async Task Open_CheckpointRecordCutButAnchorKept_RefusesNamingThePointer()
    {
        await WriteCheckpointed(CheckpointOptions(maxFileBytes: 1024 * 1024), 200);
        var lines = ReadLines(ActivePath);
        WriteLines(ActivePath, lines[..^1]);

        await AssertRefused("before the checkpoint at seq");
    }

    [Fact]
    public async Task Open_StateFileReplaced_RefusesNamingIt()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        var state = Path.Combine(Dir, CheckpointPointer.TryRead(ActivePath)!.Payload.State.File);
        File.AppendAllText(state, "{\"seq\":1,\"type\":\"decision\",\"payload\":{}}\n");

        await AssertRefused($"the state file '{state}' does not match");
    }

    [Fact]
    public async Task Open_StateFileDeleted_RefusesNamingIt()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        var state = Path.Combine(Dir, CheckpointPointer.TryRead(ActivePath)!.Payload.State.File);
        File.Delete(state);

        await AssertRefused($"the state file '{state}' of the checkpoint at seq");
    }

    [Fact]
    public async Task Open_PointerReplacedWithAForgedCheckpoint_Refuses()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        var text = File.ReadAllText(PointerPath);
        File.WriteAllText(PointerPath, text.Replace("\"entries\":5", "\"entries\":0", StringComparison.Ordinal));

        await AssertRefused("does not carry the payload the checkpoint pointer holds");
    }

    [Fact]
    public async Task Open_PointerNotJson_Refuses()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        File.WriteAllText(PointerPath, "{ not json");

        await AssertRefused("is not valid");
    }

    [Fact]
    public async Task Open_WholeTrailDeletedButPointerLeft_Refuses()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        foreach (var file in RotatedFiles().Append(ActivePath))
        {
            File.Delete(file);
        }

        var refused = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => OpenWithState(CheckpointOptions())).WaitAsync(Timeout, Ct);
        Assert.Contains("no file of the trail", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_TornLastLineAfterCheckpoint_IsStillRepaired()
    {
        await WriteCheckpointed(CheckpointOptions(), 200);
        File.AppendAllText(ActivePath, "{\"seq\":999,\"ti");

        var (trail, _, _) = await OpenWithState(CheckpointOptions());
        await using var _ = trail;

        Assert.NotNull(trail.Recovery.TruncatedTail);
        Assert.NotNull(trail.Recovery.Checkpoint);
    }

    private async Task AssertRefused(string problem, string? verifyProblem = null)
    {
        var refused = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => OpenWithState(CheckpointOptions())).WaitAsync(Timeout, Ct);
        Assert.Contains(problem, refused.Message, StringComparison.Ordinal);

        var verified = AuditVerifier.Verify(ActivePath);
        Assert.False(verified.Ok);
        Assert.Contains(verifyProblem ?? problem, verified.Problem, StringComparison.Ordinal);
    }
}

using Grpc.Core;
using Pdp.Audit.Verification;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests.ReviewPlane;

/// <summary>Two server processes, A and B, sharing one review database for every test of the class.</summary>
public sealed class FleetFixture : IAsyncLifetime
{
    internal Fleet Fleet { get; private set; } = null!;

    public PdpProcess A { get; private set; } = null!;

    public PdpProcess B { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fleet = await Fleet.CreateAsync("fleet");
        (A, B) = (await Fleet.StartAsync("a"), await Fleet.StartAsync("b"));
    }

    public async ValueTask DisposeAsync() => await Fleet.DisposeAsync();
}

/// <summary>
/// One review state for the fleet: a decision made on one instance is read, settled and watched on any other; a
/// disposition settles exactly once whichever instance records it; expiry is written once; every change is in the
/// fleet's review chain.
/// </summary>
public sealed class FleetReviewTests(FleetFixture fixture) : IClassFixture<FleetFixture>
{
    private PdpProcess A => fixture.A;

    private PdpProcess B => fixture.B;

    [Fact]
    public async Task Review_DecidedOnA_ReadAndApprovedOnB_WatcherOnASeesIt()
    {
        var decision = await Fleet.DecideAsync(A, "review.human");
        Assert.Equal(Verdict.RequireHuman, decision.Verdict);
        using var watch = A.Client.WatchDecision(new WatchDecisionRequest { DecisionId = decision.DecisionId });
        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(Fleet.Timeout));
        Assert.Equal(ReviewStatus.Pending, watch.ResponseStream.Current.ReviewStatus);

        var onB = await Fleet.GetAsync(B, decision.DecisionId);
        Assert.Equal(ReviewStatus.Pending, onB.ReviewStatus);
        Assert.Equal("review.human", onB.Request.Action.Type);
        Assert.Equal(ReviewPolicies.Group, onB.ApproverGroup);

        var approved = await Fleet.DisposeAsync(B, decision.DecisionId, "rita", Outcome.Approved);

        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(Fleet.Timeout));
        var seen = watch.ResponseStream.Current;
        Assert.Equal(ReviewStatus.Approved, seen.ReviewStatus);
        Assert.Equal("rita", Assert.Single(seen.Dispositions).Reviewer);
        Assert.Equal(seen.ActionDigest, seen.ApprovedActionDigest);
        Assert.False(await watch.ResponseStream.MoveNext().WaitAsync(Fleet.Timeout));
        Assert.Equal(approved.Decision, await Fleet.GetAsync(A, decision.DecisionId));
    }

    [Fact]
    public async Task Approve_SameDecisionOnTwoInstancesAtOnce_ExactlyOneWinsEveryTime()
    {
        const int Rounds = 100;
        var decisions = new List<string>();
        for (var i = 0; i < Rounds; i++)
        {
            decisions.Add((await Fleet.DecideAsync(i % 2 == 0 ? A : B, "review.human")).DecisionId);
        }

        foreach (var id in decisions)
        {
            var race = await Task.WhenAll(Attempt(A, id, "rita"), Attempt(B, id, "sam"));

            Assert.Equal(1, race.Count(code => code == StatusCode.OK));
            Assert.Equal(1, race.Count(code => code == StatusCode.FailedPrecondition));
        }

        var settlements = await fixture.Fleet.ScalarAsync("SELECT count(*) FROM review_events WHERE type = 'disposition' AND decision_id = ANY($1)", decisions.Select(Guid.Parse).ToArray());
        Assert.Equal(Rounds, settlements);
    }

    [Fact]
    public async Task FourEyes_ApprovalsOnTwoInstances_CountsDistinctReviewersAndRefusesTheSameTwice()
    {
        var decision = await Fleet.DecideAsync(A, "review.human", approvals: 2);

        var first = await Fleet.DisposeAsync(A, decision.DecisionId, "rita", Outcome.Approved);
        Assert.Equal(ReviewStatus.Pending, first.Decision.ReviewStatus);
        var again = await Fleet.RefusedAsync(B, decision.DecisionId, "rita", Outcome.Approved);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("already approved", again.Status.Detail, StringComparison.Ordinal);
        var second = await Fleet.DisposeAsync(B, decision.DecisionId, "sam", Outcome.Approved);

        Assert.Equal(ReviewStatus.Approved, second.Decision.ReviewStatus);
        Assert.Equal(2, second.Decision.Approvals);
        Assert.Equal(["rita", "sam"], (await Fleet.GetAsync(A, decision.DecisionId)).Dispositions.Select(d => d.Reviewer));
    }

    [Fact]
    public async Task Expiry_BothInstancesSweeping_WrittenOnceAndNeverAnApproval()
    {
        var decision = await Fleet.DecideAsync(B, "review.human", ttl: "1s");

        await Fleet.EventuallyAsync(async () => (await Fleet.GetAsync(A, decision.DecisionId)).ReviewStatus == ReviewStatus.Expired, "the review expired");
        // Both instances sweep every 100 ms: give the slower one many chances to write it a second time.
        await Task.Delay(TimeSpan.FromMilliseconds(600));

        var expiries = await fixture.Fleet.ScalarAsync("SELECT count(*) FROM review_events WHERE type = 'expiry' AND decision_id = $1", Guid.Parse(decision.DecisionId));
        Assert.Equal(1, expiries);
        var onB = await Fleet.GetAsync(B, decision.DecisionId);
        Assert.Equal(Outcome.Expired, Assert.Single(onB.Dispositions).Outcome);
        Assert.Empty(onB.ApprovedActionDigest);
        var late = await Fleet.RefusedAsync(A, decision.DecisionId, "rita", Outcome.Approved);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("expired", late.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reverse_OnBOfAnAllowDecidedOnA_OnceForTheFleet()
    {
        var decision = await Fleet.DecideAsync(A, "review.allow");
        Assert.Equal(Verdict.Allow, decision.Verdict);

        // B knows it once A's decision log has shipped it.
        await Fleet.EventuallyAsync(async () => await fixture.Fleet.ScalarAsync("SELECT count(*) FROM fleet_decisions WHERE decision_id = $1", Guid.Parse(decision.DecisionId)) == 1, "the allow decision was shipped");
        var reversed = await Fleet.DisposeAsync(B, decision.DecisionId, "tess", Outcome.Reversed, "the account was a break-glass account");

        Assert.Equal(ReviewStatus.Reversed, reversed.Decision.ReviewStatus);
        Assert.True(reversed.Disposition.Override);
        Assert.Equal(ReviewStatus.Reversed, (await Fleet.GetAsync(A, decision.DecisionId)).ReviewStatus);
        var twice = await Fleet.RefusedAsync(A, decision.DecisionId, "rita", Outcome.Reversed, "again");
        Assert.Equal(StatusCode.FailedPrecondition, twice.StatusCode);
    }

    [Fact]
    public async Task ReviewChain_AfterDispositionsOnBothInstances_VerifiesWithTheTrailVerifier()
    {
        var one = await Fleet.DecideAsync(A, "review.human");
        var two = await Fleet.DecideAsync(B, "review.human");
        await Fleet.DisposeAsync(B, one.DecisionId, "rita", Outcome.Approved);
        await Fleet.DisposeAsync(A, two.DecisionId, "sam", Outcome.Rejected, "not during the freeze");

        var lines = await fixture.Fleet.ListAsync("SELECT line FROM review_events ORDER BY seq", r => r.GetString(0));
        var file = Path.Combine(Path.GetTempPath(), $"pdp-review-chain-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, lines);
        try
        {
            var result = AuditVerifier.Verify(file);

            Assert.True(result.Ok, result.Problem);
            Assert.Equal(lines.Count, result.RecordsChecked);
            var instances = await fixture.Fleet.ListAsync("SELECT DISTINCT instance FROM review_events WHERE type = 'disposition' AND decision_id = ANY($1)", r => r.GetString(0), new[] { Guid.Parse(one.DecisionId), Guid.Parse(two.DecisionId) });
            Assert.Equal(["a", "b"], instances.Order());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<StatusCode> Attempt(PdpProcess instance, string decisionId, string reviewer)
    {
        try
        {
            await Fleet.DisposeAsync(instance, decisionId, reviewer, Outcome.Approved);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}

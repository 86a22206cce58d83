using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Audit.Verification;
using Pdp.Contracts.V1;
using Pdp.Review.Rules;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Human dispositions over the real server: every rule, the watch stream, expiry and the trail behind them. Run once per
/// review store (<see cref="ReviewTests"/>: local; <see cref="PostgresReviewTests"/>: a real PostgreSQL), so the rules
/// hold the same whichever store keeps the state. Every server notifies a real webhook receiver of its review events
/// (escalation and notifications: ReviewRulesTests.Escalation.cs).
/// </summary>
public abstract partial class ReviewRulesTests : IAsyncLifetime
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private PdpTestServer _server = null!;
    private Pdp.TestSupport.WebhookReceiver _receiver = null!;

    private DecisionService.DecisionServiceClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        _receiver = await Pdp.TestSupport.WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Pdp:Review:ExpirySweepMilliseconds"] = "100",
            ["Pdp:Notify:Endpoints:0:Url"] = _receiver.Url,
            ["Pdp:Notify:Endpoints:0:Secret"] = _receiver.Secret,
            ["Pdp:Notify:Endpoints:0:Name"] = "reviewers-hook",
            ["Pdp:Notify:ConsoleUrl"] = ConsoleUrl,
            ["Pdp:Notify:PollMilliseconds"] = "20",
        };
        foreach (var (key, value) in await StoreSettingsAsync())
        {
            settings[key] = value;
        }

        _server = await PdpTestServer.StartAsync(_policies, settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
        await DisposeStoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The review store's settings for the server under test.</summary>
    protected abstract Task<IReadOnlyDictionary<string, string?>> StoreSettingsAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    [Fact]
    public async Task Metrics_WithoutOidc_SayReviewersAreUnverifiedAndWhichStoreIsOn()
    {
        var scrape = await MetricsScrape.TakeAsync(_server.Admin);

        Assert.Equal(1, scrape.Value("pdp_reviewer_identity_mode", ("mode", "unverified")));
        Assert.Single(scrape.Named("pdp_review_store_up"));
        Assert.Equal(1, scrape.Series.Single(p => p.Key.StartsWith("pdp_review_store_up", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public async Task RecordDisposition_ApproveWhileWatching_WatcherSeesPendingThenApprovedAndStreamEnds()
    {
        var decision = await DecideAsync("review.human");
        using var watch = Client.WatchDecision(new WatchDecisionRequest { DecisionId = decision.DecisionId });
        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(ReviewStatus.Pending, watch.ResponseStream.Current.ReviewStatus);

        var answer = await DisposeAsync(decision.DecisionId, "rita", Outcome.Approved);

        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        var settled = watch.ResponseStream.Current;
        Assert.Equal(ReviewStatus.Approved, settled.ReviewStatus);
        Assert.False(settled.Overridden);
        Assert.Equal(settled.ActionDigest, settled.ApprovedActionDigest);
        Assert.StartsWith("sha256:", settled.ActionDigest, StringComparison.Ordinal);
        Assert.False(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        Assert.False(answer.Disposition.Override);
        Assert.True(answer.Disposition.AuditSeq > 0);
        var stored = await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(settled, stored);
        Assert.Equal("review.human", stored.Request.Action.Type);
        Assert.Equal(ReviewPolicies.Agent, stored.Request.Agent.Id);
        Assert.Equal("review-owner", stored.ControlOwner);
    }

    [Fact]
    public async Task RecordDisposition_RejectWhileWatching_CountsAsOverride()
    {
        var decision = await DecideAsync("review.human");
        using var watch = Client.WatchDecision(new WatchDecisionRequest { DecisionId = decision.DecisionId });
        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));

        var answer = await DisposeAsync(decision.DecisionId, "sam", Outcome.Rejected, "the account is a service account");

        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(ReviewStatus.Rejected, watch.ResponseStream.Current.ReviewStatus);
        Assert.True(watch.ResponseStream.Current.Overridden);
        Assert.True(answer.Disposition.Override);
        Assert.Empty(watch.ResponseStream.Current.ApprovedActionDigest);
    }

    [Fact]
    public async Task RecordDisposition_SecondDisposition_FailedPreconditionAndRecordedAsRefusal()
    {
        var decision = await DecideAsync("review.human");
        await DisposeAsync(decision.DecisionId, "rita", Outcome.Approved);

        var error = await RefusedAsync(decision.DecisionId, "sam", Outcome.Rejected, "too late");

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("already settled", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(ReadTrail(), r => r.Type == "refusal" && r.Payload["decision_id"]!.GetValue<string>() == decision.DecisionId && r.Payload["rule"]!.GetValue<string>() == "already_settled");
    }

    /// <summary>Each broken rule, with the rule the trail's refusal record names (empty: refused before the decision is looked up, so not recorded).</summary>
    public static TheoryData<string, string, Outcome, string, StatusCode, string, string> Refusals() => new()
    {
        { "review.human", "rita", Outcome.Expired, "", StatusCode.InvalidArgument, "outcome", "" },
        { "review.human", "rita", Outcome.Unspecified, "", StatusCode.InvalidArgument, "outcome", "" },
        { "review.human", "rita", Outcome.Rejected, "", StatusCode.InvalidArgument, "justification", "" },
        { "review.human", "rita", Outcome.Modified, "changed", StatusCode.InvalidArgument, "parameters", "" },
        { "review.human", "", Outcome.Approved, "", StatusCode.InvalidArgument, "reviewer", "" },
        { "review.human", "oscar", Outcome.Approved, "", StatusCode.PermissionDenied, "not a member", "not_in_group" },
        { "review.human", "mallory", Outcome.Approved, "", StatusCode.PermissionDenied, "not a member", "not_in_group" },
        { "review.human", ReviewPolicies.Principal, Outcome.Approved, "", StatusCode.PermissionDenied, "acts for", "self_approval" },
        { "review.human", ReviewPolicies.Agent, Outcome.Approved, "", StatusCode.PermissionDenied, "agent", "self_approval" },
        { "review.human", "rita", Outcome.Reversed, "undo", StatusCode.FailedPrecondition, "only an allowed decision", "not_reviewable" },
        { "review.allow", "rita", Outcome.Approved, "", StatusCode.FailedPrecondition, "needed no review", "not_reviewable" },
        { "review.deny", "rita", Outcome.Approved, "", StatusCode.FailedPrecondition, "was deny", "not_reviewable" },
        { "review.deny", "rita", Outcome.Reversed, "undo", StatusCode.FailedPrecondition, "was deny", "not_reviewable" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task RecordDisposition_RuleBroken_ClearStatusNamingTheRule(string actionType, string reviewer, Outcome outcome, string justification, StatusCode code, string says, string rule)
    {
        var decision = await DecideAsync(actionType);

        var error = await RefusedAsync(decision.DecisionId, reviewer, outcome, justification);

        Assert.Equal(code, error.StatusCode);
        Assert.Contains(says, error.Status.Detail, StringComparison.Ordinal);
        var stored = await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Empty(stored.Dispositions);
        var recorded = ReadTrail().Where(r => r.Type == "refusal" && r.Payload["decision_id"]!.GetValue<string>() == decision.DecisionId).Select(r => r.Payload).ToList();
        if (rule.Length == 0)
        {
            Assert.Empty(recorded);
        }
        else
        {
            var refusal = Assert.Single(recorded);
            Assert.Equal(rule, refusal["rule"]!.GetValue<string>());
            Assert.Equal(reviewer, refusal["reviewer"]!.GetValue<string>());
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(refusal["refused_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < PdpTestServer.Timeout);
        }
    }

    [Theory]
    [InlineData("not-a-decision-id", StatusCode.InvalidArgument)]
    [InlineData("0193a5f0-0000-7000-8000-000000000000", StatusCode.NotFound)]
    public async Task RecordDisposition_UnknownDecision_ClearStatus(string decisionId, StatusCode code)
    {
        var error = await RefusedAsync(decisionId, "rita", Outcome.Approved, "");
        var get = await Assert.ThrowsAsync<RpcException>(() => Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout));

        Assert.Equal(code, error.StatusCode);
        Assert.Equal(code, get.StatusCode);
    }

    [Fact]
    public async Task RecordDisposition_ReverseAllowed_OverrideOnceOnly()
    {
        var decision = await DecideAsync("review.allow");

        var answer = await DisposeAsync(decision.DecisionId, "tess", Outcome.Reversed, "the agent disabled the wrong account");
        var again = await RefusedAsync(decision.DecisionId, "sam", Outcome.Reversed, "again");

        Assert.True(answer.Disposition.Override);
        Assert.Equal(ReviewStatus.Reversed, answer.Decision.ReviewStatus);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
    }

    [Fact]
    public async Task RecordDisposition_Modified_BindsApprovalToTheModifiedAction()
    {
        var decision = await DecideAsync("review.human");
        var changed = new Struct();
        changed.Fields["duration"] = Value.ForString("1h");

        var answer = await DisposeAsync(decision.DecisionId, "rita", Outcome.Modified, "shorter window", changed);

        var stored = answer.Decision;
        Assert.Equal(ReviewStatus.Modified, stored.ReviewStatus);
        Assert.True(stored.Overridden);
        Assert.NotEqual(stored.ActionDigest, stored.ApprovedActionDigest);
        var expected = ActionDigest.Of("review.human", new JsonObject { ["kind"] = "account", ["id"] = "target-1", ["attributes"] = new JsonObject() }, new JsonObject { ["duration"] = "1h" });
        Assert.Equal(expected, stored.ApprovedActionDigest);
        Assert.Equal("1h", answer.Disposition.Parameters.Fields["duration"].StringValue);
    }

    [Fact]
    public async Task RecordDisposition_FourEyes_ApprovedOnlyAfterTwoDistinctReviewers()
    {
        var decision = await DecideAsync("review.human", approvals: 2);
        Assert.Equal(2, decision.Review.MinApprovals);

        var first = await DisposeAsync(decision.DecisionId, "rita", Outcome.Approved);
        var twice = await RefusedAsync(decision.DecisionId, "RITA", Outcome.Approved, "");
        var modify = await RefusedAsync(decision.DecisionId, "sam", Outcome.Modified, "change", new Struct { Fields = { ["x"] = Value.ForNumber(1) } });
        var second = await DisposeAsync(decision.DecisionId, "sam", Outcome.Approved);

        Assert.Equal(ReviewStatus.Pending, first.Decision.ReviewStatus);
        Assert.Equal(1, first.Decision.Approvals);
        Assert.Empty(first.Decision.ApprovedActionDigest);
        Assert.Equal(StatusCode.FailedPrecondition, twice.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, modify.StatusCode);
        Assert.Equal(ReviewStatus.Approved, second.Decision.ReviewStatus);
        Assert.Equal(2, second.Decision.Approvals);
    }

    [Fact]
    public async Task RecordDisposition_FourEyesWithOneRejection_SettlesRejected()
    {
        var decision = await DecideAsync("review.human", approvals: 2);

        await DisposeAsync(decision.DecisionId, "rita", Outcome.Approved);
        var rejected = await DisposeAsync(decision.DecisionId, "sam", Outcome.Rejected, "no");

        Assert.Equal(ReviewStatus.Rejected, rejected.Decision.ReviewStatus);
        Assert.Equal(StatusCode.FailedPrecondition, (await RefusedAsync(decision.DecisionId, "tess", Outcome.Approved, "")).StatusCode);
    }

    [Fact]
    public async Task Review_ShortTtl_ExpiresOnRecordAndIsNeverAnApproval()
    {
        var decision = await DecideAsync("review.human", ttl: "1s");
        using var watch = Client.WatchDecision(new WatchDecisionRequest { DecisionId = decision.DecisionId });
        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(ReviewStatus.Pending, watch.ResponseStream.Current.ReviewStatus);

        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        var expired = watch.ResponseStream.Current;
        var late = await RefusedAsync(decision.DecisionId, "rita", Outcome.Approved, "");

        Assert.Equal(ReviewStatus.Expired, expired.ReviewStatus);
        Assert.Equal(Outcome.Expired, Assert.Single(expired.Dispositions).Outcome);
        Assert.True(expired.SettledAt.ToDateTimeOffset() >= decision.Review.ExpiresAt.ToDateTimeOffset());
        Assert.Empty(expired.ApprovedActionDigest);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains(ReadTrail(), r => r.Type == "expiry" && r.Payload["decision_id"]!.GetValue<string>() == decision.DecisionId);
    }

    [Fact]
    public async Task WatchDecision_DecisionWithoutReview_SendsOnceAndEnds()
    {
        var decision = await DecideAsync("review.deny");
        using var watch = Client.WatchDecision(new WatchDecisionRequest { DecisionId = decision.DecisionId });

        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(ReviewStatus.NotRequired, watch.ResponseStream.Current.ReviewStatus);
        Assert.False(await watch.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));
    }

    [Fact]
    public async Task Trail_AfterDecisionsAndDispositions_VerifiesAndMasksSecrets()
    {
        var decision = await DecideAsync("review.human", password: "hunter2-secret");
        await DisposeAsync(decision.DecisionId, "rita", Outcome.Approved);

        var result = AuditVerifier.Verify(_server.AuditPath);
        var text = await File.ReadAllTextAsync(_server.AuditPath);
        var stored = await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        Assert.True(result.Ok, result.Problem);
        Assert.DoesNotContain("hunter2-secret", text, StringComparison.Ordinal);
        Assert.Equal("***", stored.Request.Action.Parameters.Fields["password"].StringValue);
        var types = ReadTrail().Select(r => r.Type).ToArray();
        Assert.Equal("policy_load", types[0]);
        Assert.Contains("decision", types);
        Assert.Contains("disposition", types);
    }

    private IReadOnlyList<AuditRecord> ReadTrail() => [.. AuditTrailReader.Read(_server.AuditPath)];

    private async Task<DecideResponse> DecideAsync(string actionType, string? ttl = null, int? approvals = null, string? password = null, string? escalateTo = null) =>
        await Client.DecideAsync(ReviewPolicies.Request(actionType, ttl, approvals, password, escalateTo)).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private Task<RecordDispositionResponse> DisposeAsync(string decisionId, string reviewer, Outcome outcome, string justification = "", Struct? parameters = null) =>
        Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = outcome, Justification = justification, Parameters = parameters })
            .ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private Task<RpcException> RefusedAsync(string decisionId, string reviewer, Outcome outcome, string justification, Struct? parameters = null) =>
        Assert.ThrowsAsync<RpcException>(() => DisposeAsync(decisionId, reviewer, outcome, justification, parameters));
}

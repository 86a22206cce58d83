using Grpc.Core;
using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>Escalation and notifications, on each review store: the rules the same whichever keeps the state.</summary>
public abstract partial class ReviewRulesTests
{
    private const string ConsoleUrl = "https://console.example.test";

    [Fact]
    public async Task Escalation_PendingAtHalfItsTtl_EscalatesOnceAndLetsTheEscalationGroupDecide()
    {
        var decision = await DecideAsync("review.human", ttl: "6s", escalateTo: ReviewPolicies.EscalationGroup);
        var decidedAt = (await GetAsync(decision.DecisionId)).DecidedAt.ToDateTimeOffset();

        var early = await RefusedAsync(decision.DecisionId, ReviewPolicies.Lead, Outcome.Approved, "");
        var escalated = await EventuallyAsync(decision.DecisionId, d => d.EscalatedAt is not null, "the review escalated");
        var answer = await DisposeAsync(decision.DecisionId, ReviewPolicies.Lead, Outcome.Approved);

        Assert.Equal(StatusCode.PermissionDenied, early.StatusCode);
        Assert.Contains(ReviewPolicies.EscalationGroup, early.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ReviewPolicies.EscalationGroup, escalated.EscalationGroup);
        Assert.Equal(ReviewStatus.Pending, escalated.ReviewStatus);
        var half = (decision.Review.ExpiresAt.ToDateTimeOffset() - decidedAt) / 2;
        Assert.InRange(escalated.EscalatedAt.ToDateTimeOffset(), decidedAt + half - TimeSpan.FromMilliseconds(1), decision.Review.ExpiresAt.ToDateTimeOffset());
        Assert.Empty(escalated.Dispositions);
        Assert.False(answer.Disposition.Override);
        var settled = await GetAsync(decision.DecisionId);
        Assert.Equal(ReviewStatus.Approved, settled.ReviewStatus);
        Assert.Equal(escalated.EscalatedAt, settled.EscalatedAt);
        var records = ReadTrail().Where(r => r.Type == "escalation" && r.Payload["decision_id"]!.GetValue<string>() == decision.DecisionId).ToList();
        Assert.Equal(ReviewPolicies.EscalationGroup, Assert.Single(records).Payload["escalation_group"]!.GetValue<string>());
        var scrape = await MetricsScrape.TakeAsync(_server.Admin);
        Assert.Equal(1, scrape.Value("pdp_review_escalations_total", ("policy", "review-test")));
    }

    [Fact]
    public async Task Escalation_PolicyNamesNoEscalationGroup_NeverEscalatesAndOthersStayRefused()
    {
        var decision = await DecideAsync("review.human", ttl: "2s");

        await EventuallyAsync(decision.DecisionId, d => d.ReviewStatus == ReviewStatus.Expired, "the review expired");
        var stored = await GetAsync(decision.DecisionId);

        Assert.Empty(stored.EscalationGroup);
        Assert.Null(stored.EscalatedAt);
        Assert.DoesNotContain(ReadTrail(), r => r.Type == "escalation" && r.Payload["decision_id"]!.GetValue<string>() == decision.DecisionId);
    }

    [Fact]
    public async Task Notify_ReviewLifecycle_OpenedEscalatedSettledAndExpiredArriveSignedWithoutSecrets()
    {
        var escalating = await DecideAsync("review.human", ttl: "4s", password: "hunter2-secret", escalateTo: ReviewPolicies.EscalationGroup);
        var expiring = await DecideAsync("review.human", ttl: "1s");
        await _receiver.WaitForAsync(e => e.Any(x => x.Id == $"{escalating.DecisionId}.escalated"), "the escalated event");
        await DisposeAsync(escalating.DecisionId, ReviewPolicies.Lead, Outcome.Approved);

        var events = await _receiver.WaitForAsync(
            e => e.Any(x => x.Id == $"{escalating.DecisionId}.settled") && e.Any(x => x.Id == $"{expiring.DecisionId}.expired"),
            "settled and expired events");

        Assert.Equal(0, _receiver.Rejected);
        string[] expected = ["opened", "escalated", "settled"];
        Assert.Equal(expected.Select(k => $"dev.pdp.review.{k}"), events.Where(e => e.Subject == escalating.DecisionId).Select(e => e.Type));
        Assert.Equal(["dev.pdp.review.opened", "dev.pdp.review.expired"], events.Where(e => e.Subject == expiring.DecisionId).Select(e => e.Type));
        foreach (var received in events.Where(e => e.Subject == escalating.DecisionId))
        {
            Assert.Equal(received.Id, received.WebhookId);
            Assert.StartsWith("application/cloudevents+json", received.ContentType, StringComparison.Ordinal);
            Assert.Equal(escalating.DecisionId, received.Data["decision_id"]!.GetValue<string>());
            Assert.Equal("review.human", received.Data["action_type"]!.GetValue<string>());
            Assert.Equal("target-1", received.Data["target"]!["id"]!.GetValue<string>());
            Assert.Equal(ReviewPolicies.Group, received.Data["approver_group"]!.GetValue<string>());
            Assert.Equal(ReviewPolicies.EscalationGroup, received.Data["escalation_group"]!.GetValue<string>());
            Assert.Equal("review-owner", received.Data["control_owner"]!.GetValue<string>());
            Assert.Equal(escalating.Review.ExpiresAt.ToDateTimeOffset(), DateTimeOffset.Parse(received.Data["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal($"{ConsoleUrl}/decisions/{escalating.DecisionId}", received.Data["console_url"]!.GetValue<string>());
            Assert.DoesNotContain("hunter2-secret", received.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("password", received.Body, StringComparison.Ordinal);
        }

        Assert.Equal("approved", events.Single(e => e.Id == $"{escalating.DecisionId}.settled").Data["state"]!.GetValue<string>());
        var scrape = await MetricsScrape.TakeAsync(_server.Admin);
        Assert.True(scrape.Value("pdp_notify_deliveries_total", ("endpoint", "reviewers-hook"), ("outcome", "delivered")) >= 5);
    }

    private async Task<DecisionRecord> GetAsync(string decisionId) =>
        await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    /// <summary>Reads the decision until <paramref name="condition"/> holds, bounded by the test timeout.</summary>
    private async Task<DecisionRecord> EventuallyAsync(string decisionId, Func<DecisionRecord, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
        while (true)
        {
            var record = await GetAsync(decisionId);
            if (condition(record))
            {
                return record;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {PdpTestServer.Timeout.TotalSeconds} s: {what}");
            }

            await Task.Delay(50);
        }
    }
}

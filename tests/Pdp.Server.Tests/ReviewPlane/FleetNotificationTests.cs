using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests.ReviewPlane;

/// <summary>
/// Notifications and escalation of a fleet on one PostgreSQL: each event delivered once for the fleet, each review
/// escalated once whichever replicas sweep, and a notification claimed by an instance killed before delivering it
/// delivered by the fleet once the claim's lease has passed.
/// </summary>
public sealed class FleetNotificationTests
{
    [Fact]
    public async Task Notify_TwoInstancesOnOneDatabase_OneDeliveryPerEventAndOneEscalation()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var fleet = await Fleet.CreateAsync("notify");
        var a = await fleet.StartAsync("a", Settings(receiver));
        var b = await fleet.StartAsync("b", Settings(receiver));
        var decided = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var (decider, reviewer) = i % 2 == 0 ? (a, b) : (b, a);
            var decision = await Fleet.DecideAsync(decider, "review.human");
            decided.Add(decision.DecisionId);
            await Fleet.DisposeAsync(reviewer, decision.DecisionId, "rita", Outcome.Approved);
        }

        var escalating = await a.Client.DecideAsync(ReviewPolicies.Request("review.human", ttl: "3s", escalateTo: ReviewPolicies.EscalationGroup)).ResponseAsync.WaitAsync(Fleet.Timeout);
        string[] expected = [.. decided.SelectMany(id => new[] { $"{id}.opened", $"{id}.settled" }), $"{escalating.DecisionId}.opened", $"{escalating.DecisionId}.escalated"];
        await receiver.WaitForAsync(e => expected.All(id => e.Any(x => x.Id == id)), "every event of the fleet");
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT count(*) FROM notify_outbox WHERE finished_at IS NULL") == 0, "the outbox emptied");
        await Task.Delay(500);

        Assert.Equal(expected.Order(), receiver.Accepted.Select(e => e.Id).Order());
        Assert.Equal(expected.Length, receiver.Requests);
        Assert.Equal(0, receiver.Rejected);
        Assert.Equal(1, await fleet.ScalarAsync("SELECT count(*) FROM review_events WHERE type = 'escalation' AND decision_id = $1", Guid.Parse(escalating.DecisionId)));
        var stored = await Fleet.GetAsync(b, escalating.DecisionId);
        Assert.Equal(ReviewPolicies.EscalationGroup, stored.EscalationGroup);
        Assert.NotNull(stored.EscalatedAt);
        var outcomes = await fleet.ListAsync("SELECT outcome FROM notify_outbox", r => r.GetString(0));
        Assert.Equal(expected.Length, outcomes.Count);
        Assert.All(outcomes, outcome => Assert.Equal("delivered", outcome));
    }

    [Fact]
    public async Task Notify_InstanceKilledHoldingAClaim_FleetDeliversItAfterTheLease()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hang = true;
        await using var fleet = await Fleet.CreateAsync("notifykill");
        var a = await fleet.StartAsync("a", [.. Settings(receiver), "--Pdp:Notify:LeaseSeconds=20", "--Pdp:Notify:TimeoutSeconds=4"]);
        var decision = await Fleet.DecideAsync(a, "review.human");
        await Fleet.EventuallyAsync(() => Task.FromResult(receiver.Requests > 0), "a delivery attempt by a");
        var claim = await fleet.ListAsync("SELECT claimed_by, claimed_until > now() FROM notify_outbox WHERE decision_id = $1", r => (By: r.GetString(0), Held: r.GetBoolean(1)), Guid.Parse(decision.DecisionId));

        await a.KillAsync();
        receiver.Hang = false;
        await fleet.StartAsync("b", Settings(receiver));

        var events = await receiver.WaitForAsync(e => e.Any(x => x.Id == $"{decision.DecisionId}.opened"), "the opened event, delivered by b");
        Assert.Equal(("a", true), Assert.Single(claim));
        Assert.Equal(decision.DecisionId, Assert.Single(events).Subject);
        // The receiver answered before b marked the row: the mark follows.
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT count(*) FROM notify_outbox WHERE decision_id = $1 AND outcome = 'delivered'", Guid.Parse(decision.DecisionId)) == 1, "the row marked delivered");
    }

    private static string[] Settings(WebhookReceiver receiver) =>
    [
        $"--Pdp:Notify:Endpoints:0:Url={receiver.Url}",
        $"--Pdp:Notify:Endpoints:0:Secret={receiver.Secret}",
        "--Pdp:Notify:PollMilliseconds=20",
        "--Pdp:Notify:RetryBaseMilliseconds=50",
    ];
}

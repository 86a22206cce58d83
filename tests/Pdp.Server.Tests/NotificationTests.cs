using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Notifications with the local store: a receiver that fails and recovers, a kill -9 between the decision and its
/// delivery, the Slack format, and the settings refused at start. (Both stores: ReviewRulesTests.Escalation.cs; the
/// fleet: ReviewPlane/FleetNotificationTests.cs.)
/// </summary>
public sealed class NotificationTests : IDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();

    public void Dispose() => Directory.Delete(_policies, recursive: true);

    [Fact]
    public async Task Notify_ReceiverFailsFirstAttempts_GetsEachEventOnceItRecovers()
    {
        // More failures than the HTTP client's own quick retries: the outbox has to try again later.
        const int failures = 7;
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: failures);
        await using var server = await PdpTestServer.StartAsync(_policies, Settings(receiver));

        var decided = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            decided.Add((await server.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId);
        }

        var events = await receiver.WaitForAsync(e => decided.All(id => e.Any(x => x.Id == $"{id}.opened")), "every opened event");
        await Task.Delay(500);

        Assert.Equal(decided.Select(id => $"{id}.opened").Order(), receiver.Accepted.Select(e => e.Id).Order());
        Assert.Equal(events.Count, receiver.Accepted.Count);
        Assert.Equal(0, receiver.Rejected);
        Assert.True(receiver.Requests > failures, $"{receiver.Requests} requests");
        var scrape = await MetricsScrape.TakeAsync(server.Admin);
        Assert.Equal(3, scrape.Value("pdp_notify_deliveries_total", ("endpoint", "0"), ("outcome", "delivered")));
        Assert.True(scrape.Value("pdp_notify_deliveries_total", ("endpoint", "0"), ("outcome", "failed")) >= 1);
        Assert.Equal(0, scrape.Value("pdp_notify_outbox_depth"));
    }

    [Fact]
    public async Task Notify_KillNineBetweenDecisionAndDelivery_DeliveredAfterRestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        var trail = Path.Combine(Directory.CreateTempSubdirectory("pdp-notify-kill-").FullName, "audit.jsonl");
        string[] settings = [$"--Pdp:Notify:Endpoints:0:Url={receiver.Url}", $"--Pdp:Notify:Endpoints:0:Secret={receiver.Secret}", "--Pdp:Notify:RetryBaseMilliseconds=50", "--Pdp:Notify:PollMilliseconds=20"];
        await using var first = await PdpProcess.StartAsync(_policies, trail, settings);
        var decision = await first.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpProcess.Timeout);
        await WaitUntilAsync(() => receiver.Requests > 0, "a delivery attempt");

        await first.KillAsync();
        receiver.Down = false;
        Assert.Empty(receiver.Accepted);
        await using var second = await PdpProcess.StartAsync(_policies, trail, settings);

        var events = await receiver.WaitForAsync(e => e.Any(x => x.Id == $"{decision.DecisionId}.opened"), "the opened event after the restart");
        Assert.Equal(decision.DecisionId, Assert.Single(events).Subject);
        Assert.Equal(0, receiver.Rejected);
    }

    [Fact]
    public async Task Notify_SlackFormatAndGroupFilter_SlackGetsItsTextAndOtherGroupsEndpointNothing()
    {
        await using var slack = await WebhookReceiver.StartAsync();
        await using var others = await WebhookReceiver.StartAsync();
        var settings = Settings(slack);
        settings["Pdp:Notify:Endpoints:0:Format"] = "slack";
        settings["Pdp:Notify:Endpoints:0:Groups:0"] = ReviewPolicies.Group;
        settings["Pdp:Notify:Endpoints:1:Url"] = others.Url;
        settings["Pdp:Notify:Endpoints:1:Secret"] = others.Secret;
        settings["Pdp:Notify:Endpoints:1:Groups:0"] = "others";
        await using var server = await PdpTestServer.StartAsync(_policies, settings);

        var decision = await server.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var message = Assert.Single(await slack.WaitForAsync(e => e.Count > 0, "the slack message"));
        await Task.Delay(500);

        Assert.Equal($"{decision.DecisionId}.opened", message.WebhookId);
        var text = message.Data["text"]!.GetValue<string>();
        Assert.Contains("review.human", text, StringComparison.Ordinal);
        Assert.Contains(decision.DecisionId, text, StringComparison.Ordinal);
        Assert.Contains("needs a review", text, StringComparison.Ordinal);
        Assert.Equal(0, others.Requests);
    }

    [Theory]
    [InlineData("Url", "ftp://example.org/hook", "Url must be an absolute http(s) URL")]
    [InlineData("Url", "http://example.org/hook", "Url must be https")]
    [InlineData("Secret", "not-a-secret", "Secret must be whsec_")]
    [InlineData("Secret", "whsec_c2hvcnQ=", "Secret must be whsec_")]
    [InlineData("Format", "xml", "Format must be")]
    [InlineData("Groups:0", " ", "Groups must be non-empty")]
    public async Task Start_InvalidNotifyEndpoint_RefusedNamingTheSettingNeverTheSecret(string key, string value, string says)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Pdp:Notify:Endpoints:0:Url"] = "https://hooks.example.org/pdp",
            ["Pdp:Notify:Endpoints:0:Secret"] = WebhookReceiver.NewSecret(),
        };
        settings[$"Pdp:Notify:Endpoints:0:{key}"] = value;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PdpTestServer.StartAsync(_policies, settings));

        var failure = Assert.Single(error.Failures, f => f.StartsWith("Pdp:Notify:Endpoints:0:", StringComparison.Ordinal));
        Assert.Contains(says, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(settings["Pdp:Notify:Endpoints:0:Secret"]!, string.Join("\n", error.Failures), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(WebhookReceiver receiver) => new()
    {
        ["Pdp:Notify:Endpoints:0:Url"] = receiver.Url,
        ["Pdp:Notify:Endpoints:0:Secret"] = receiver.Secret,
        ["Pdp:Notify:RetryBaseMilliseconds"] = "50",
        ["Pdp:Notify:RetryMaxSeconds"] = "1",
        ["Pdp:Notify:PollMilliseconds"] = "20",
    };

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + PdpProcess.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {PdpProcess.Timeout.TotalSeconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }
}

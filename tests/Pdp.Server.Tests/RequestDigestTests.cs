using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Audit.Format;
using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// <c>request_digest</c> means one thing at every front door: SHA-256 of the canonical proposal the door built (the
/// recorded input without the server's own facts), present exactly when the request carries a request id.
/// </summary>
public sealed class RequestDigestTests : IAsyncDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly int _authZenPort = PdpTestServer.FreePort();
    private PdpTestServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_policies, recursive: true);
    }

    [Theory]
    [InlineData("grpc", "r-1")]
    [InlineData("grpc", "")]
    [InlineData("authzen", "az-7")]
    [InlineData("authzen", null)]
    public async Task Decide_AnyFrontDoor_DigestIsTheCanonicalProposalWhenARequestIdIsSent(string door, string? requestId)
    {
        _server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?> { ["Pdp:AuthZen:Port"] = _authZenPort.ToString(CultureInfo.InvariantCulture) });
        string decisionId;
        if (door == "grpc")
        {
            var request = new DecideRequest { RequestId = requestId, Agent = new Agent { Id = "triage-bot" }, Action = new Pdp.Contracts.V1.Action { Type = "review.allow", Target = new Target { Kind = "account", Id = "bob" } } };
            decisionId = (await _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId;
        }
        else
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_authZenPort}"), Timeout = PdpTestServer.Timeout };
            using var message = new HttpRequestMessage(HttpMethod.Post, "/access/v1/evaluation")
            {
                Content = new StringContent("""{"subject":{"type":"agent","id":"triage-bot"},"action":{"name":"review.allow"},"resource":{"type":"account","id":"bob"}}""", Encoding.UTF8, "application/json"),
            };
            if (requestId is not null)
            {
                message.Headers.Add("X-Request-ID", requestId);
            }

            using var response = await http.SendAsync(message, TestContext.Current.CancellationToken).WaitAsync(PdpTestServer.Timeout);
            response.EnsureSuccessStatusCode();
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            decisionId = body["context"]!["decision_id"]!.GetValue<string>();
        }

        var record = AuditTrailReader.Read(_server.AuditPath).Single(r => r.Type == "decision" && r.Payload["decision_id"]!.GetValue<string>() == decisionId);
        var recorded = record.Payload["request_digest"]!.GetValue<string>();
        if (string.IsNullOrEmpty(requestId))
        {
            Assert.Equal(string.Empty, recorded);
            return;
        }

        var proposal = record.Payload["input"]!.DeepClone().AsObject();
        proposal.Remove("decision_id");
        proposal.Remove("time");
        proposal.Remove("caller");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(proposal))), recorded);
    }
}

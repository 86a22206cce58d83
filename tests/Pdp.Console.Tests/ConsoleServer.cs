using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pdp.Contracts.V1;
using Pdp.Reviewers;
using Pdp.TestSupport;

namespace Pdp.Console.Tests;

/// <summary>
/// The real server in-process on loopback ports with OIDC (a development key) and the console on; a gRPC client to
/// make decisions, and <see cref="Token"/> to mint a reviewer's token.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    public const string Issuer = "https://idp.console.test";
    public const string Audience = "pdp-console";
    public const string Agent = "agent-7";
    public const string Principal = "owner-1";

    /// <summary>Pdp:Review:MinSeconds of these tests: an approval sooner than this after the page showed it is a rubber stamp.</summary>
    public const int MinSeconds = 3;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly PdpTestServer _server;
    private readonly ReviewerTokens _tokens;

    private ConsoleServer(PdpTestServer server, ReviewerTokens tokens, int consolePort)
    {
        _server = server;
        _tokens = tokens;
        ConsoleUrl = $"http://127.0.0.1:{consolePort}";
    }

    public string ConsoleUrl { get; }

    public string Keys => _tokens.Directory;

    public string AuditPath => _server.AuditPath;

    public DecisionService.DecisionServiceClient Client => _server.Client;

    public IServiceProvider Services => _server.Services;

    /// <summary>Starts a server on <paramref name="policies"/> with the development key in <paramref name="keys"/> (made if missing).</summary>
    public static async Task<ConsoleServer> StartAsync(string policies, string keys, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var tokens = new ReviewerTokens(keys, Issuer, Audience);
        var console = FreePorts.Next();
        var config = new Dictionary<string, string?>(tokens.ServerSettings())
        {
            ["Pdp:Console:Port"] = console.ToString(CultureInfo.InvariantCulture),
            ["Pdp:Review:MinSeconds"] = MinSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Early escalation, so the escalation test's review can have a long window: escalated after a few seconds
            // and still open long after, however slow the machine is at the click.
            ["Pdp:Review:EscalateAt"] = "0.1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        return new ConsoleServer(await PdpTestServer.StartAsync(policies, config), tokens, console);
    }

    /// <summary>A reviewer's token, signed by the development key the server trusts.</summary>
    public string Token(string reviewer) => _tokens.Mint(reviewer);

    /// <summary>A require-human decision by <see cref="Agent"/> for <see cref="Principal"/>; its id.</summary>
    public async Task<string> RequireHumanAsync(string rationale = "Customer asked for a refund of a duplicate charge.", int approvals = 1, string ttl = "1h", string target = "acct-1001", string escalateTo = "")
    {
        var request = new DecideRequest
        {
            Agent = new Agent { Id = Agent, Model = "gpt-test", ModelVersion = "2025-01", SessionId = "s-1", OnBehalfOf = Principal },
            Action = new Pdp.Contracts.V1.Action
            {
                Type = "payments.refund",
                Target = new Target { Kind = "account", Id = target },
                Parameters = new Struct(),
                Rationale = rationale,
                Confidence = 0.82,
                RiskScore = 64,
            },
        };
        request.Action.Parameters.Fields["amount"] = Value.ForNumber(120);
        request.Action.Parameters.Fields["currency"] = Value.ForString("EUR");
        request.Action.Parameters.Fields["card_number"] = Value.ForString("4111111111111111");
        request.Action.Parameters.Fields["approvals"] = Value.ForNumber(approvals);
        request.Action.Parameters.Fields["ttl"] = Value.ForString(ttl);
        if (escalateTo.Length > 0)
        {
            request.Action.Parameters.Fields["escalate_to"] = Value.ForString(escalateTo);
        }
        var answer = await Client.DecideAsync(request).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(Verdict.RequireHuman, answer.Verdict);
        return answer.DecisionId;
    }

    public async Task<DecisionRecord> GetAsync(string decisionId) =>
        await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(Timeout);

    /// <summary>A policy set: refunds need a human of <c>reviewers</c>; the card number is redacted from the trail.</summary>
    public static string CreatePolicies()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-console-policies-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "refunds.js"), """
            export const policy = {
              id: "refund-review", owner: "payments-controls@example.com", approver_group: "reviewers",
              applies_to: ["payments.*"], frameworks: ["NIST-AI-RMF:GOVERN-1.2", "ISO-42001:A.9.2"],
              description: "Refunds are decided by a human.", redact: ["action.parameters.card_number"],
            };
            export function decide(input, data) {
              const p = input.action.parameters;
              const result = {
                verdict: "require_human", reason: "refunds above 100 EUR need a human",
                review_ttl: typeof p.ttl === "string" ? p.ttl : "1h",
                min_approvals: typeof p.approvals === "number" ? p.approvals : 1,
              };
              if (typeof p.escalate_to === "string") { result.escalate_to = p.escalate_to; }
              return result;
            }
            """);
        File.WriteAllText(Path.Combine(dir, "data", "groups.json"), """{ "reviewers": ["rita", "sam", "tess", "owner-1"], "others": ["oscar"] }""");
        return dir;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
    }
}

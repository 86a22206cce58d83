using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Pdp.Contracts.V1;
using Pdp.Server.Configuration;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>One real server with an AuthZEN listener and a small policy set, shared by <see cref="AuthZenTests"/>.</summary>
public sealed class AuthZenServerFixture : IAsyncLifetime
{
    public const int MaxRequestBytes = 4096;
    public const int MaxEvaluations = 4;
    public const int MaxStructDepth = 4;

    public string PolicyDir { get; } = Directory.CreateTempSubdirectory("pdp-authzen-policies-").FullName;

    public int Port { get; } = PdpTestServer.FreePort();

    public HttpClient Client { get; private set; } = null!;

    internal PdpTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(PolicyDir, "data"));
        // The action name picks the verdict; az.echo.* answers with a part of the input the policy saw.
        await File.WriteAllTextAsync(Path.Combine(PolicyDir, "authzen.js"), """
            export const policy = { id: "authzen-test", owner: "authzen-owner", approver_group: "reviewers", applies_to: ["az.*"] };
            export function decide(input, data) {
              switch (input.action.type) {
                case "az.allow": return { verdict: "allow", reason: "allowed for the test", obligations: { max_credential_ttl: "15m" } };
                case "az.deny": return { verdict: "deny", reason: "denied for the test" };
                case "az.human": return { verdict: "require_human", reason: "a human decides", review_ttl: "30m", min_approvals: 2 };
                case "az.echo.agent": return { verdict: "allow", reason: JSON.stringify({ agent: input.agent, caller: input.caller }) };
                case "az.echo.action": return { verdict: "allow", reason: JSON.stringify(input.action) };
                case "az.echo.context": return { verdict: "allow", reason: JSON.stringify(input.context) };
              }
              return undefined;
            }
            """).WaitAsync(PdpTestServer.Timeout);
        await File.WriteAllTextAsync(Path.Combine(PolicyDir, "data", "groups.json"), """{ "reviewers": ["rita", "sam"] }""").WaitAsync(PdpTestServer.Timeout);
        Server = await PdpTestServer.StartAsync(PolicyDir, new Dictionary<string, string?>
        {
            ["Pdp:AuthZen:Port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["Pdp:AuthZen:MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
            ["Pdp:AuthZen:MaxEvaluations"] = MaxEvaluations.ToString(CultureInfo.InvariantCulture),
            ["Pdp:MaxStructDepth"] = MaxStructDepth.ToString(CultureInfo.InvariantCulture),
        }).WaitAsync(PdpTestServer.Timeout);
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = PdpTestServer.Timeout };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(PolicyDir, recursive: true);
    }
}

/// <summary>
/// The OpenID AuthZEN Authorization API 1.0 over a real HttpClient against the real server: the evaluation and
/// evaluations endpoints, each batch semantic, the mapping into the policy input, the answer's context, request
/// ids, the spec's error cases and the metadata document.
/// </summary>
public sealed class AuthZenTests(AuthZenServerFixture fixture) : IClassFixture<AuthZenServerFixture>
{
    private const string Evaluation = "/access/v1/evaluation";
    private const string Evaluations = "/access/v1/evaluations";
    private const string Metadata = "/.well-known/authzen-configuration";

    private static readonly TimeSpan Timeout = PdpTestServer.Timeout;

    private HttpClient Client => fixture.Client;

    public static TheoryData<string, bool, string, string> Verdicts() => new()
    {
        { "az.allow", true, "allow", "authzen-owner" },
        { "az.deny", false, "deny", "authzen-owner" },
        { "az.human", false, "require_human", "authzen-owner" },
        { "no.policy.applies", false, "deny", "pdp-operators" },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public async Task Evaluation_ActionName_DecisionTrueOnlyForAllow(string action, bool decision, string verdict, string owner)
    {
        var (response, body) = await PostAsync(Evaluation, Request(action));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(decision, body["decision"]!.GetValue<bool>());
        var context = body["context"]!.AsObject();
        Assert.Equal(verdict, context["verdict"]!.GetValue<string>());
        Assert.Equal(owner, context["control_owner"]!.GetValue<string>());
        Assert.True(Guid.TryParse(context["decision_id"]!.GetValue<string>(), out _));
        Assert.StartsWith("sha256:", context["policy_revision"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEmpty(context["reasons"]!.AsArray());
        Assert.Equal(verdict == "require_human", context.ContainsKey("approver_group"));
        Assert.Equal(verdict == "require_human", context.ContainsKey("expires_at"));
    }

    [Fact]
    public async Task Evaluation_RequireHuman_ContextDirectsThePepToTheReview()
    {
        var before = DateTimeOffset.UtcNow;

        var (_, body) = await PostAsync(Evaluation, Request("az.human"));

        var context = body["context"]!.AsObject();
        Assert.False(body["decision"]!.GetValue<bool>());
        Assert.Equal("reviewers", context["approver_group"]!.GetValue<string>());
        Assert.Equal(2, context["min_approvals"]!.GetValue<int>());
        var expires = DateTimeOffset.Parse(context["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange(expires, before.AddMinutes(29), DateTimeOffset.UtcNow.AddMinutes(31));
        var reason = Assert.Single(context["reasons"]!.AsArray())!;
        Assert.Equal("authzen-test", reason["policy_id"]!.GetValue<string>());
        Assert.Equal("a human decides", reason["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Evaluation_Allow_ContextCarriesTheObligations()
    {
        var (_, body) = await PostAsync(Evaluation, Request("az.allow"));

        Assert.True(body["decision"]!.GetValue<bool>());
        Assert.Equal("15m", body["context"]!["obligations"]!["max_credential_ttl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Evaluation_SubjectAndResource_ReachThePolicyAsAgentAndTarget()
    {
        var request = """
            {
              "subject": { "type": "agent", "id": "triage-bot",
                           "properties": { "on_behalf_of": "alice@example.com", "model": "gpt-x", "model_version": "2026-10", "session_id": "s-9", "team": "soc" } },
              "action": { "name": "az.echo.agent" },
              "resource": { "type": "account", "id": "bob@example.com" }
            }
            """;

        var seen = await EchoAsync(request);

        var agent = seen["agent"]!;
        Assert.Equal("triage-bot", agent["id"]!.GetValue<string>());
        Assert.Equal("alice@example.com", agent["on_behalf_of"]!.GetValue<string>());
        Assert.Equal("gpt-x", agent["model"]!.GetValue<string>());
        Assert.Equal("2026-10", agent["model_version"]!.GetValue<string>());
        Assert.Equal("s-9", agent["session_id"]!.GetValue<string>());
        var caller = seen["caller"]!;
        Assert.False(caller["authenticated"]!.GetValue<bool>());
        Assert.Equal("tcp", caller["transport"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", caller["address"]!.GetValue<string>());
    }

    [Fact]
    public async Task Evaluation_ActionAndResource_ReachThePolicyAsTypeTargetAndParameters()
    {
        var request = """
            {
              "subject": { "type": "agent", "id": "triage-bot" },
              "action": { "name": "az.echo.action", "properties": { "ttl": "15m", "force": true, "count": 3 } },
              "resource": { "type": "account", "id": "bob@example.com", "properties": { "tier": "gold", "tags": ["a", "b"] } }
            }
            """;

        var action = await EchoAsync(request);

        Assert.Equal("az.echo.action", action["type"]!.GetValue<string>());
        Assert.Equal("account", action["target"]!["kind"]!.GetValue<string>());
        Assert.Equal("bob@example.com", action["target"]!["id"]!.GetValue<string>());
        Assert.Equal("gold", action["target"]!["attributes"]!["tier"]!.GetValue<string>());
        Assert.Equal("b", action["target"]!["attributes"]!["tags"]![1]!.GetValue<string>());
        Assert.Equal("15m", action["parameters"]!["ttl"]!.GetValue<string>());
        Assert.True(action["parameters"]!["force"]!.GetValue<bool>());
        Assert.Equal(3, action["parameters"]!["count"]!.GetValue<double>());
    }

    [Fact]
    public async Task Evaluation_Context_ReachesThePolicyWithTheSubjectAndRequestId()
    {
        var request = """
            {
              "subject": { "type": "agent", "id": "triage-bot", "properties": { "team": "soc" } },
              "action": { "name": "az.echo.context" },
              "resource": { "type": "account", "id": "bob@example.com" },
              "context": { "environment": "staging", "incident_id": "INC-7", "authzen": "a caller's value is replaced" }
            }
            """;

        var context = await EchoAsync(request, requestId: "req-ctx-1");

        Assert.Equal("staging", context["environment"]!.GetValue<string>());
        Assert.Equal("INC-7", context["incident_id"]!.GetValue<string>());
        var authzen = context["authzen"]!;
        Assert.Equal("req-ctx-1", authzen["request_id"]!.GetValue<string>());
        Assert.Equal("agent", authzen["subject"]!["type"]!.GetValue<string>());
        Assert.Equal("triage-bot", authzen["subject"]!["id"]!.GetValue<string>());
        Assert.Equal("soc", authzen["subject"]!["properties"]!["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task Evaluation_RequireHuman_RecordedAndSettledByAHumanOverGrpc()
    {
        var (_, body) = await PostAsync(Evaluation, Request("az.human", subject: "agent-9", resource: "host-42"));
        var decisionId = body["context"]!["decision_id"]!.GetValue<string>();

        var recorded = await fixture.Server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(Timeout);
        var first = await fixture.Server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = "rita", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(Timeout);
        var second = await fixture.Server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = "sam", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(Timeout);
        var trail = await ReadTrailAsync();

        Assert.Equal(Pdp.Contracts.V1.Verdict.RequireHuman, recorded.Verdict);
        Assert.Equal(ReviewStatus.Pending, recorded.ReviewStatus);
        Assert.Equal("agent-9", recorded.Request.Agent.Id);
        Assert.Equal("az.human", recorded.Request.Action.Type);
        Assert.Equal("host-42", recorded.Request.Action.Target.Id);
        Assert.Equal(ReviewStatus.Pending, first.Decision.ReviewStatus);
        Assert.Equal(ReviewStatus.Approved, second.Decision.ReviewStatus);
        Assert.Contains(decisionId, trail, StringComparison.Ordinal);
    }

    /// <summary>No <c>options</c> at all, and the default semantic named explicitly.</summary>
    public static TheoryData<string> ExecuteAllSemantics() => new() { "", "execute_all" };

    [Theory]
    [MemberData(nameof(ExecuteAllSemantics))]
    public async Task Evaluations_ExecuteAll_EveryDecisionInRequestOrder(string semantic)
    {
        var options = semantic.Length == 0 ? string.Empty : $$""" "options": { "evaluations_semantic": "{{semantic}}" }, """;
        var request = $$"""
            {
              "subject": { "type": "agent", "id": "triage-bot" },
              "action": { "name": "az.deny" },
              {{options}}
              "evaluations": [
                { "resource": { "type": "account", "id": "a" } },
                { "action": { "name": "az.allow" }, "resource": { "type": "account", "id": "b" } },
                { "action": { "name": "az.human" }, "resource": { "type": "account", "id": "c" } }
              ]
            }
            """;

        var (response, body) = await PostAsync(Evaluations, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body.ContainsKey("decision"));
        var results = body["evaluations"]!.AsArray();
        Assert.Equal([false, true, false], results.Select(r => r!["decision"]!.GetValue<bool>()));
        Assert.Equal(["deny", "allow", "require_human"], results.Select(r => r!["context"]!["verdict"]!.GetValue<string>()));
        Assert.Equal(3, results.Select(r => r!["context"]!["decision_id"]!.GetValue<string>()).Distinct().Count());
    }

    public static TheoryData<string, string[], bool[]> ShortCircuits() => new()
    {
        { "deny_on_first_deny", ["az.allow", "az.deny", "az.allow"], [true, false] },
        { "deny_on_first_deny", ["az.allow", "az.human", "az.allow"], [true, false] },
        { "deny_on_first_deny", ["az.allow", "az.allow"], [true, true] },
        { "permit_on_first_permit", ["az.deny", "az.allow", "az.deny"], [false, true] },
        { "permit_on_first_permit", ["az.deny", "az.human"], [false, false] },
        { "execute_all", ["az.deny", "az.allow", "az.deny"], [false, true, false] },
    };

    [Theory]
    [MemberData(nameof(ShortCircuits))]
    public async Task Evaluations_Semantic_StopsAfterTheAnsweringDecision(string semantic, string[] actions, bool[] expected)
    {
        var entries = string.Join(",", actions.Select((a, i) => $$"""{ "action": { "name": "{{a}}" }, "resource": { "type": "account", "id": "r{{i}}" } }"""));
        var request = $$"""{ "subject": { "type": "agent", "id": "triage-bot" }, "options": { "evaluations_semantic": "{{semantic}}" }, "evaluations": [{{entries}}] }""";
        var before = await CountDecisionsAsync();

        var (response, body) = await PostAsync(Evaluations, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, body["evaluations"]!.AsArray().Select(r => r!["decision"]!.GetValue<bool>()));
        Assert.Equal(expected.Length, await CountDecisionsAsync() - before);
    }

    [Fact]
    public async Task Evaluations_EntryContext_ReplacesTheDefaultRatherThanMerging()
    {
        var request = """
            {
              "subject": { "type": "agent", "id": "triage-bot" },
              "action": { "name": "az.echo.context" },
              "resource": { "type": "account", "id": "a" },
              "context": { "environment": "staging" },
              "evaluations": [ {}, { "context": { "incident_id": "INC-2" } } ]
            }
            """;

        var (_, body) = await PostAsync(Evaluations, request);

        var results = body["evaluations"]!.AsArray();
        var first = JsonNode.Parse(results[0]!["context"]!["reasons"]![0]!["message"]!.GetValue<string>())!;
        var second = JsonNode.Parse(results[1]!["context"]!["reasons"]![0]!["message"]!.GetValue<string>())!;
        Assert.Equal("staging", first["environment"]!.GetValue<string>());
        Assert.Equal("INC-2", second["incident_id"]!.GetValue<string>());
        Assert.Null(second["environment"]);
    }

    public static TheoryData<string> SingleFormBatches() => new()
    {
        """{ "subject": { "type": "agent", "id": "x" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""",
        """{ "subject": { "type": "agent", "id": "x" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "evaluations": [] }""",
    };

    [Theory]
    [MemberData(nameof(SingleFormBatches))]
    public async Task Evaluations_NoOrEmptyEvaluationsArray_AnsweredAsOneEvaluation(string request)
    {
        var (response, body) = await PostAsync(Evaluations, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body["decision"]!.GetValue<bool>());
        Assert.False(body.ContainsKey("evaluations"));
    }

    public static TheoryData<string, string> RequestIdCases() => new()
    {
        { Evaluation, Request("az.allow") },
        { Evaluations, """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.deny" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } } ] }""" },
        { Evaluation, "{ not json" },
        { Evaluation, "{}" },
    };

    [Theory]
    [MemberData(nameof(RequestIdCases))]
    public async Task Request_WithXRequestId_SameIdInTheResponse(string path, string request)
    {
        var id = $"bfe9eb29-{Guid.NewGuid():N}";

        var (response, _) = await PostAsync(path, request, requestId: id);

        Assert.Equal(id, Assert.Single(response.Headers.GetValues("X-Request-ID")));
    }

    [Fact]
    public async Task Metadata_WithXRequestId_SameIdInTheResponse()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Metadata);
        request.Headers.Add("X-Request-ID", "meta-1");

        using var response = await Client.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal("meta-1", Assert.Single(response.Headers.GetValues("X-Request-ID")));
    }

    public static TheoryData<string, string> MalformedEvaluations() => new()
    {
        { "{ \"subject\": ", "body" },
        { "[]", "body" },
        { "\"a string\"", "body" },
        { """{ "subject": { "type": "a", "id": "b" }, "subject": { "type": "c", "id": "d" } }""", "body" },
        { """{ "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject" },
        { """{ "subject": { "type": "a", "id": "b" }, "resource": { "type": "t", "id": "1" } }""", "action" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" } }""", "resource" },
        { """{ "subject": null, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject" },
        { """{ "subject": "agent", "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject" },
        { """{ "subject": { "type": "a" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject.id" },
        { """{ "subject": { "type": 7, "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject.type" },
        { """{ "subject": { "type": "a", "id": "" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject.id" },
        { """{ "subject": { "type": "a", "id": "b", "properties": { "on_behalf_of": 5 } }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject.properties.on_behalf_of" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { }, "resource": { "type": "t", "id": "1" } }""", "action.name" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": ".read" }, "resource": { "type": "t", "id": "1" } }""", "action.name" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "Delete Everything" }, "resource": { "type": "t", "id": "1" } }""", "action.name" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow", "properties": [1] }, "resource": { "type": "t", "id": "1" } }""", "action.properties" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "id": "1" } }""", "resource.type" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1", "properties": "x" } }""", "resource.properties" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "context": [] }""", "context" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "context": { "a": { "b": { "c": { "d": { "e": 1 } } } } } }""", "context.a.b.c.d" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "context": { "n": 1e400 } }""", "context.n" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "context": { "s": "\ud800" } }""", "context.s" },
        { """{ "subject": { "type": "a", "id": "\udc00b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", "subject.id" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" }, "context": { "\ud800": 1 } }""", "body" },
    };

    [Theory]
    [MemberData(nameof(MalformedEvaluations))]
    public async Task Evaluation_MalformedRequest_BadRequestNamingTheField(string request, string field)
    {
        var before = await CountDecisionsAsync();

        var (response, body) = await PostAsync(Evaluation, request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = body["error"]!;
        Assert.Equal(400, error["status"]!.GetValue<int>());
        Assert.Equal(field, error["field"]!.GetValue<string>());
        Assert.StartsWith(field + ": ", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CountDecisionsAsync());
    }

    public static TheoryData<string, string> MalformedBatches() => new()
    {
        { """{ "evaluations": "all of them" }""", "evaluations" },
        { """{ "evaluations": [ 1 ] }""", "evaluations[0]" },
        { """{ "action": { "name": "az.allow" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } } ] }""", "evaluations[0].subject" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } }, { "action": { "name": "NOT VALID" }, "resource": { "type": "t", "id": "2" } } ] }""", "evaluations[1].action.name" },
        { """{ "subject": { "type": "a" }, "action": { "name": "az.allow" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } } ] }""", "subject.id" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "options": "fast", "evaluations": [ { "resource": { "type": "t", "id": "1" } } ] }""", "options" },
        { """{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "options": { "evaluations_semantic": "first_wins" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } } ] }""", "options.evaluations_semantic" },
        { TooManyEvaluations(), "evaluations" },
    };

    [Theory]
    [MemberData(nameof(MalformedBatches))]
    public async Task Evaluations_MalformedBatch_BadRequestAndNothingDecided(string request, string field)
    {
        var before = await CountDecisionsAsync();

        var (response, body) = await PostAsync(Evaluations, request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, body["error"]!["field"]!.GetValue<string>());
        Assert.Equal(before, await CountDecisionsAsync());
    }

    /// <summary>Media types other than application/json; "" sends no Content-Type at all.</summary>
    public static TheoryData<string> WrongContentTypes() => new()
    {
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=iso-8859-1",
        "application/jsonp",
        "",
    };

    [Theory]
    [MemberData(nameof(WrongContentTypes))]
    public async Task Evaluation_NotApplicationJson_UnsupportedMediaType(string contentType)
    {
        var (response, body) = await PostAsync(Evaluation, Request("az.allow"), contentType.Length == 0 ? null : contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(415, body["error"]!["status"]!.GetValue<int>());
        Assert.Equal("Content-Type", body["error"]!["field"]!.GetValue<string>());
    }

    public static TheoryData<string> JsonContentTypes() => new() { "application/json", "application/json; charset=utf-8", "Application/JSON; charset=\"UTF-8\"" };

    [Theory]
    [MemberData(nameof(JsonContentTypes))]
    public async Task Evaluation_ApplicationJsonVariants_Decided(string contentType)
    {
        var (response, body) = await PostAsync(Evaluation, Request("az.allow"), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body["decision"]!.GetValue<bool>());
    }

    public static TheoryData<bool> BodyFramings() => new() { true, false };

    [Theory]
    [MemberData(nameof(BodyFramings))]
    public async Task Evaluation_BodyOverTheLimit_ContentTooLarge(bool withContentLength)
    {
        var padding = new string('x', AuthZenServerFixture.MaxRequestBytes);
        var bytes = Encoding.UTF8.GetBytes(Request("az.allow", context: $$"""{ "padding": "{{padding}}" }"""));
        using HttpContent content = withContentLength ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var before = await CountDecisionsAsync();

        using var response = await Client.PostAsync(Evaluation, content).WaitAsync(Timeout);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout))!;

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body", body["error"]!["field"]!.GetValue<string>());
        Assert.Contains("MaxRequestBytes", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CountDecisionsAsync());
    }

    [Fact]
    public async Task Metadata_Get_NamesThisListenersEndpoints()
    {
        using var response = await Client.GetAsync(Metadata).WaitAsync(Timeout);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout))!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var pdp = $"http://127.0.0.1:{fixture.Port}";
        Assert.Equal(pdp, body["policy_decision_point"]!.GetValue<string>());
        Assert.Equal(pdp + Evaluation, body["access_evaluation_endpoint"]!.GetValue<string>());
        Assert.Equal(pdp + Evaluations, body["access_evaluations_endpoint"]!.GetValue<string>());
        Assert.DoesNotContain(body, p => p.Key.StartsWith("search_", StringComparison.Ordinal) || p.Key == "capabilities");

        // A PEP sends its requests to the advertised endpoint.
        using var content = new StringContent(Request("az.allow"), Encoding.UTF8, "application/json");
        using var evaluated = await Client.PostAsync(body["access_evaluation_endpoint"]!.GetValue<string>(), content).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, evaluated.StatusCode);
    }

    public static TheoryData<string, string, string> OtherListeners() => new()
    {
        { "admin", "POST", Evaluation },
        { "admin", "POST", Evaluations },
        { "admin", "GET", Metadata },
        { "authzen", "GET", "/healthz" },
        { "authzen", "GET", "/readyz" },
        { "authzen", "GET", "/metrics" },
        { "authzen", "POST", "/admin/reload" },
    };

    [Theory]
    [MemberData(nameof(OtherListeners))]
    public async Task Listener_PathOfTheOtherListener_NotFound(string listener, string method, string path)
    {
        var client = listener == "admin" ? fixture.Server.Admin : Client;
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(Request("az.allow"), Encoding.UTF8, "application/json") };

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Evaluation_WrongMethod_MethodNotAllowed()
    {
        using var response = await Client.GetAsync(Evaluation).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    public static TheoryData<string, string, string> InvalidSettings() => new()
    {
        { "Port", "70000", "Pdp:AuthZen:Port" },
        { "Port", "8282", "Pdp:AuthZen:Port" },
        { "Protocols", "Http1AndHttp2", "Pdp:AuthZen:Protocols" },
        { "MaxRequestBytes", "100", "Pdp:AuthZen:MaxRequestBytes" },
        { "MaxEvaluations", "0", "Pdp:AuthZen:MaxEvaluations" },
        { "MaxEvaluations", "5000", "Pdp:AuthZen:MaxEvaluations" },
        { "PolicyDecisionPoint", "ftp://pdp.example.com", "Pdp:AuthZen:PolicyDecisionPoint" },
        { "PolicyDecisionPoint", "https://pdp.example.com/?tenant=1", "Pdp:AuthZen:PolicyDecisionPoint" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Validate_InvalidAuthZenSetting_FailureNamesIt(string setting, string value, string named)
    {
        var options = new PdpOptions();
        typeof(AuthZenOptions).GetProperty(setting)!.SetValue(options.AuthZen, setting is "Port" or "MaxRequestBytes" or "MaxEvaluations" ? int.Parse(value, CultureInfo.InvariantCulture) : value);

        var result = new PdpOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains(named, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, null, false, 8383)]
    [InlineData(null, 9000, true, 9000)]
    [InlineData(null, 0, true, 0)]
    [InlineData(true, null, true, 8383)]
    [InlineData(true, 9000, true, 9000)]
    [InlineData(false, 9000, false, 9000)]
    public void IsServed_EnabledAndPort_OffUnlessConfigured(bool? enabled, int? port, bool served, int listenPort)
    {
        var options = new AuthZenOptions { Enabled = enabled, Port = port };

        Assert.Equal(served, options.IsServed);
        Assert.Equal(listenPort, options.ListenPort);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(true, true)]
    public void Validate_AuthZenPortEqualToGrpcPort_RefusedOnlyWhenServed(bool? enabled, bool refused)
    {
        var options = new PdpOptions();
        options.AuthZen.Enabled = enabled;
        options.AuthZen.Port = enabled is null ? null : options.GrpcPort;

        var result = new PdpOptionsValidator().Validate(null, options);

        Assert.Equal(refused, result.Failed);
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        Assert.True(new PdpOptionsValidator().Validate(null, new PdpOptions()).Succeeded);
    }

    [Fact]
    public async Task Metadata_ConfiguredIdentifier_Published()
    {
        var port = PdpTestServer.FreePort();
        await using var server = await PdpTestServer.StartAsync(fixture.PolicyDir, new Dictionary<string, string?>
        {
            ["Pdp:AuthZen:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Pdp:AuthZen:PolicyDecisionPoint"] = "https://pdp.example.com/",
        }).WaitAsync(Timeout);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Timeout };

        var body = JsonNode.Parse(await client.GetStringAsync(Metadata).WaitAsync(Timeout))!;

        Assert.Equal("https://pdp.example.com", body["policy_decision_point"]!.GetValue<string>());
        Assert.Equal("https://pdp.example.com/access/v1/evaluations", body["access_evaluations_endpoint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Evaluation_Http2PriorKnowledgeListener_DecidedOverHttp2()
    {
        var port = PdpTestServer.FreePort();
        await using var server = await PdpTestServer.StartAsync(fixture.PolicyDir, new Dictionary<string, string?>
        {
            ["Pdp:AuthZen:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Pdp:AuthZen:Protocols"] = "Http2",
        }).WaitAsync(Timeout);
        using var client = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = Timeout,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var content = new StringContent(Request("az.allow"), Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Evaluation, content).WaitAsync(Timeout);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Listener_Disabled_PortNotBound()
    {
        var port = PdpTestServer.FreePort();
        await using var server = await PdpTestServer.StartAsync(fixture.PolicyDir, new Dictionary<string, string?>
        {
            ["Pdp:AuthZen:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Pdp:AuthZen:Enabled"] = "false",
        }).WaitAsync(Timeout);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Timeout };

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(Metadata).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Evaluation_TrailCannotBeWritten_ServiceUnavailableAndBatchEntriesFailClosed()
    {
        var mount = Directory.CreateTempSubdirectory("pdp-authzen-small-disk-").FullName;
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount).WaitAsync(Timeout));
        try
        {
            var port = PdpTestServer.FreePort();
            await using var server = await PdpTestServer.StartAsync(fixture.PolicyDir, new Dictionary<string, string?>
            {
                ["Pdp:AuthZen:Port"] = port.ToString(CultureInfo.InvariantCulture),
                ["Pdp:Audit:Path"] = Path.Combine(mount, "audit.jsonl"),
            }).WaitAsync(Timeout);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Timeout };
            await FillAsync(Path.Combine(mount, "filler"));

            // The trail's last page may still take a record or two; after that nothing can be recorded, so nothing is decided.
            HttpResponseMessage? refused = null;
            for (var i = 0; i < 20 && refused is null; i++)
            {
                using var content = new StringContent(Request("az.allow"), Encoding.UTF8, "application/json");
                var response = await client.PostAsync(Evaluation, content).WaitAsync(Timeout);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    response.Dispose();
                }
                else
                {
                    refused = response;
                }
            }

            Assert.NotNull(refused);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", Assert.Single(refused.Headers.GetValues("Retry-After")));
            var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync().WaitAsync(Timeout))!["error"]!;
            Assert.Equal(503, error["status"]!.GetValue<int>());
            Assert.Equal("the audit trail cannot be written; nothing was decided or recorded (failing closed)", error["message"]!.GetValue<string>());

            refused.Dispose();
            var batch = """{ "subject": { "type": "agent", "id": "b" }, "action": { "name": "az.allow" }, "options": { "evaluations_semantic": "deny_on_first_deny" }, "evaluations": [ { "resource": { "type": "t", "id": "1" } }, { "resource": { "type": "t", "id": "2" } } ] }""";
            using var batchContent = new StringContent(batch, Encoding.UTF8, "application/json");
            using var batchResponse = await client.PostAsync(Evaluations, batchContent).WaitAsync(Timeout);
            var entries = JsonNode.Parse(await batchResponse.Content.ReadAsStringAsync().WaitAsync(Timeout))!["evaluations"]!.AsArray();

            Assert.Equal(HttpStatusCode.OK, batchResponse.StatusCode);
            var only = Assert.Single(entries)!;
            Assert.False(only["decision"]!.GetValue<bool>());
            Assert.Equal(503, only["context"]!["error"]!["status"]!.GetValue<int>());
        }
        finally
        {
            await RunAsync("umount", "-l", mount).WaitAsync(Timeout);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static string Request(string action, string subject = "triage-bot", string resource = "bob@example.com", string? context = null) => $$"""
        {
          "subject": { "type": "agent", "id": "{{subject}}", "properties": { "on_behalf_of": "alice@example.com" } },
          "action": { "name": "{{action}}" },
          "resource": { "type": "account", "id": "{{resource}}" },
          "context": {{context ?? """{ "environment": "staging" }"""}}
        }
        """;

    private static string TooManyEvaluations()
    {
        var entries = string.Join(",", Enumerable.Range(0, AuthZenServerFixture.MaxEvaluations + 1).Select(i => $$"""{ "resource": { "type": "t", "id": "{{i}}" } }"""));
        return $$"""{ "subject": { "type": "a", "id": "b" }, "action": { "name": "az.allow" }, "evaluations": [{{entries}}] }""";
    }

    private async Task<(HttpResponseMessage Response, JsonObject Body)> PostAsync(string path, string json, string? contentType = "application/json", string? requestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (requestId is not null)
        {
            request.Headers.Add("X-Request-ID", requestId);
        }

        var response = await Client.SendAsync(request).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        return (response, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>Posts an az.echo.* request and returns what the policy saw (its reason, as JSON).</summary>
    private async Task<JsonNode> EchoAsync(string request, string? requestId = null)
    {
        var (response, body) = await PostAsync(Evaluation, request, requestId: requestId);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body["decision"]!.GetValue<bool>(), body.ToJsonString());
        return JsonNode.Parse(body["context"]!["reasons"]![0]!["message"]!.GetValue<string>())!;
    }

    private async Task<string> ReadTrailAsync()
    {
        await using var stream = new FileStream(fixture.Server.AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WaitAsync(Timeout);
    }

    private async Task<int> CountDecisionsAsync() =>
        (await ReadTrailAsync()).Split('\n').Count(line => line.Contains("\"type\":\"decision\"", StringComparison.Ordinal));

    private static async Task FillAsync(string path)
    {
        await using var stream = File.OpenWrite(path);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                await stream.WriteAsync(block).AsTask().WaitAsync(Timeout);
                await stream.FlushAsync().WaitAsync(Timeout);
            }
        }
        catch (IOException)
        {
            // No space left: that is the point.
        }
    }

    private static async Task<int> RunAsync(string file, params string[] args) => (await ProcessRun.RunAsync(file, args, Timeout)).ExitCode;

    /// <summary>A body whose length HttpClient cannot know, so it goes out chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

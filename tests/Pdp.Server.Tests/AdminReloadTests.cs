using System.Net;
using System.Text.Json;
using Grpc.Health.V1;
using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary><c>POST /admin/reload</c>, <c>GET /admin/policies</c> and <c>Pdp:Reload:RequireTests</c>, with the watcher and poll off so only the endpoint reloads.</summary>
public sealed class AdminReloadTests : IDisposable
{
    private readonly PolicyWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task AdminReload_SyntaxError_422NamingFileAndLineAndOldRevisionServes()
    {
        await using var server = await StartAsync();
        _workspace.WriteIam(_workspace.Broken);

        var (status, body) = await PostReloadAsync(server);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("refused", body.GetProperty("result").GetString());
        Assert.Equal(_workspace.OriginalRevision, body.GetProperty("revision").GetString());
        var problem = Assert.Single(body.GetProperty("problems").EnumerateArray()).GetString();
        Assert.StartsWith($"iam.js:{_workspace.BrokenLine}:", problem, StringComparison.Ordinal);
        Assert.Contains("syntax error", problem, StringComparison.Ordinal);

        var response = await DecideAsync(server, "iam.account.disable");
        Assert.Equal(_workspace.OriginalRevision, response.PolicyRevision);
        Assert.Equal(Verdict.Allow, response.Verdict);
        var health = await server.Health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task AdminReload_ValidChange_200ActivatedThenUnchanged()
    {
        var stricter = _workspace.RevisionWith(_workspace.Stricter);
        await using var server = await StartAsync();
        _workspace.WriteIam(_workspace.Stricter);

        var (status, body) = await PostReloadAsync(server);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("activated", body.GetProperty("result").GetString());
        Assert.Equal(stricter, body.GetProperty("revision").GetString());
        Assert.Empty(body.GetProperty("problems").EnumerateArray());
        var response = await DecideAsync(server, "iam.account.disable");
        Assert.Equal(stricter, response.PolicyRevision);
        Assert.Equal(Verdict.RequireHuman, response.Verdict);

        var (again, second) = await PostReloadAsync(server);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("unchanged", second.GetProperty("result").GetString());
        Assert.Equal(stricter, second.GetProperty("revision").GetString());
    }

    [Fact]
    public async Task AdminReload_RequireTestsAndChangeBreaksACase_RefusedNamingTheCaseAndOldRevisionServes()
    {
        await using var server = await StartAsync(("Pdp:Reload:RequireTests", "true"));
        _workspace.WriteIam(_workspace.Stricter);

        var (status, body) = await PostReloadAsync(server);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("refused", body.GetProperty("result").GetString());
        Assert.Equal(_workspace.OriginalRevision, body.GetProperty("revision").GetString());
        var problems = body.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Contains(problems, p => p.StartsWith("iam.test.json:", StringComparison.Ordinal)
            && p.Contains("confidence exactly at the 0.9 threshold is enough", StringComparison.Ordinal)
            && p.Contains("verdict: expected allow, got require_human", StringComparison.Ordinal));
        var response = await DecideAsync(server, "iam.account.disable");
        Assert.Equal(_workspace.OriginalRevision, response.PolicyRevision);
        Assert.Equal(Verdict.Allow, response.Verdict);

        var policies = await GetPoliciesAsync(server);
        Assert.Equal(1, policies.GetProperty("reload").GetProperty("failures").GetInt64());
        Assert.Contains("confidence exactly at the 0.9 threshold", policies.GetProperty("reload").GetProperty("last_error").GetString(), StringComparison.Ordinal);

        // A change whose tests pass goes through the same gate.
        _workspace.WriteIam(_workspace.Repaired);
        var (ok, activated) = await PostReloadAsync(server);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(_workspace.RevisionWith(_workspace.Repaired), activated.GetProperty("revision").GetString());
    }

    [Fact]
    public async Task AdminPolicies_Get_CurrentRevisionAndPolicyOwners()
    {
        await using var server = await StartAsync();

        var body = await GetPoliciesAsync(server);

        Assert.Equal(_workspace.OriginalRevision, body.GetProperty("revision").GetString());
        Assert.True(body.GetProperty("loaded_at").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        var policies = body.GetProperty("policies").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("owner").GetString());
        Assert.Equal("iam-platform-team", policies["iam-account-changes"]);
        Assert.Equal("ai-governance-team", policies["catch-all-guardrails"]);
        Assert.Equal(1, body.GetProperty("reload").GetProperty("successes").GetInt64());
        Assert.Equal("startup", body.GetProperty("reload").GetProperty("last_trigger").GetString());
    }

    [Fact]
    public async Task AdminReload_OnTheGrpcPort_NotFound()
    {
        await using var server = await StartAsync();
        using var h2c = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.GrpcPort}"), Timeout = PdpTestServer.Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await h2c.SendAsync(request).WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AdminReload_ReloadDisabled_409AndTheSetStays()
    {
        await using var server = await StartAsync(("Pdp:Reload:Enabled", "false"));
        _workspace.WriteIam(_workspace.Stricter);

        var (status, body) = await PostReloadAsync(server);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("disabled", body.GetProperty("result").GetString());
        Assert.Equal(_workspace.OriginalRevision, (await DecideAsync(server, "iam.account.disable")).PolicyRevision);
    }

    private Task<PdpTestServer> StartAsync(params (string Key, string Value)[] settings) =>
        PdpTestServer.StartAsync(
            _workspace.PolicyDir,
            PolicyWorkspace.Settings([("Pdp:Reload:Watch", "false"), ("Pdp:Reload:PollSeconds", "0"), ("Pdp:Reload:Signal", "false"), .. settings]));

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostReloadAsync(PdpTestServer server)
    {
        using var response = await server.Admin.PostAsync(new Uri("/admin/reload", UriKind.Relative), content: null).WaitAsync(PdpTestServer.Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(PdpTestServer.Timeout);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<JsonElement> GetPoliciesAsync(PdpTestServer server)
    {
        var text = await server.Admin.GetStringAsync(new Uri("/admin/policies", UriKind.Relative)).WaitAsync(PdpTestServer.Timeout);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Task<DecideResponse> DecideAsync(PdpTestServer server, string actionType) =>
        server.Client.DecideAsync(PdpTestServer.Request(actionType)).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
}

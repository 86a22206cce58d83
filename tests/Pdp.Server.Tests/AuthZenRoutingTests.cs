using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Answers the AuthZEN listener gives before any endpoint runs — a method an endpoint does not take, a path no
/// endpoint serves — echo <c>X-Request-ID</c> and carry the listener's JSON error, as every other answer there
/// does; the admin port and gRPC keep their own answers.
/// </summary>
public sealed class AuthZenRoutingTests(AuthZenServerFixture fixture) : IClassFixture<AuthZenServerFixture>
{
    private const string RequestId = "X-Request-ID";

    private static readonly TimeSpan Timeout = PdpTestServer.Timeout;

    public static TheoryData<string, string, string> WrongMethods() => new()
    {
        { "GET", "/access/v1/evaluation", "POST" },
        { "PUT", "/access/v1/evaluations", "POST" },
        { "DELETE", "/access/v1/evaluation", "POST" },
        { "PATCH", "/access/v1/evaluations", "POST" },
        { "POST", "/.well-known/authzen-configuration", "GET" },
    };

    [Theory]
    [MemberData(nameof(WrongMethods))]
    public async Task Request_MethodTheEndpointDoesNotTake_MethodNotAllowedWithAllowRequestIdAndJsonError(string method, string path, string allowed)
    {
        var id = $"405-{Guid.NewGuid():N}";

        var (response, error) = await SendAsync(fixture.Client, method, path, id);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(id, Assert.Single(response.Headers.GetValues(RequestId)));
        Assert.Contains(allowed, response.Content.Headers.Allow);
        Assert.Equal(405, error!["status"]!.GetValue<int>());
        Assert.Contains(method, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> UnservedPaths() => new()
    {
        { "POST", "/access/v1/search/subject" },
        { "POST", "/access/v1/search/resource" },
        { "POST", "/access/v1/search/action" },
        { "POST", "/access/v2/evaluation" },
        { "POST", "/access/v1/evaluation/extra" },
        { "GET", "/" },

        // A path of another listener is just as unserved here.
        { "GET", "/healthz" },
        { "POST", "/pdp.v1.DecisionService/Decide" },
    };

    [Theory]
    [MemberData(nameof(UnservedPaths))]
    public async Task Request_PathNotServed_NotFoundWithRequestIdAndJsonError(string method, string path)
    {
        var id = $"404-{Guid.NewGuid():N}";

        var (response, error) = await SendAsync(fixture.Client, method, path, id);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(id, Assert.Single(response.Headers.GetValues(RequestId)));
        Assert.Equal(404, error!["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Request_PathNotServedWithoutRequestId_JsonErrorAndNoRequestIdHeader()
    {
        var (response, error) = await SendAsync(fixture.Client, "POST", "/access/v1/search/subject", requestId: null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains(RequestId));
        Assert.Equal(404, error!["status"]!.GetValue<int>());
    }

    public static TheoryData<string, string, HttpStatusCode> AdminAnswers() => new()
    {
        { "POST", "/access/v1/search/subject", HttpStatusCode.NotFound },
        { "POST", "/access/v1/evaluation", HttpStatusCode.NotFound },
        { "GET", "/nothing-here", HttpStatusCode.NotFound },
        { "GET", "/admin/reload", HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(AdminAnswers))]
    public async Task Request_RoutingErrorOnAdminPort_UnchangedNoEchoNoBody(string method, string path, HttpStatusCode status)
    {
        var (response, error) = await SendAsync(fixture.Server.Admin, method, path, "admin-1");

        Assert.Equal(status, response.StatusCode);
        Assert.False(response.Headers.Contains(RequestId));
        Assert.Null(error);
    }

    [Fact]
    public async Task Decide_WithXRequestIdMetadata_GrpcAnswerDoesNotEchoIt()
    {
        using var call = fixture.Server.Client.DecideAsync(
            PdpTestServer.Request("az.allow"),
            new Metadata { { "x-request-id", "grpc-1" } },
            deadline: DateTime.UtcNow + Timeout);

        var headers = await call.ResponseHeadersAsync.WaitAsync(Timeout);
        await call.ResponseAsync.WaitAsync(Timeout);

        Assert.Null(headers.Get("x-request-id"));
    }

    /// <summary>Sends a JSON body (or none for GET) and returns the answer with its <c>error</c> object, null when the body is empty.</summary>
    private static async Task<(HttpResponseMessage Response, JsonObject? Error)> SendAsync(HttpClient client, string method, string path, string? requestId)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is not "GET")
        {
            request.Content = new StringContent("""{ "subject": { "type": "agent", "id": "a" }, "action": { "name": "az.allow" }, "resource": { "type": "t", "id": "1" } }""", Encoding.UTF8, "application/json");
        }

        if (requestId is not null)
        {
            request.Headers.Add(RequestId, requestId);
        }

        var response = await client.SendAsync(request).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        if (text.Length == 0)
        {
            return (response, null);
        }

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response, JsonNode.Parse(text)!["error"]!.AsObject());
    }
}

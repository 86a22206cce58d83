using System.Text.Json.Nodes;
using Google.Protobuf;
using Pdp.Audit;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Contracts.Envoy.Core.V3;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Tests;

/// <summary>
/// What the Envoy tests share: a policy that echoes any part of <c>input</c> named by the <c>x-echo</c> header in
/// its reason, a route table, CheckRequests built the way Envoy's ext_authz filter sends them, and readers for
/// the CheckResponse and the trail.
/// </summary>
internal static class EnvoyTestKit
{
    public const string Agent = "spiffe://example.org/agents/triage-bot";
    public const string OtherAgent = "spiffe://example.org/agents/other-bot";
    public const string Upstream = "spiffe://example.org/ns/prod/sa/users-api";
    public const string Owner = "envoy-owner";
    public const string Group = "reviewers";

    /// <summary>Route table and limits every Envoy test server uses.</summary>
    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Pdp:Review:ExpirySweepMilliseconds"] = "100",
            ["Pdp:Envoy:Routes:0:Method"] = "POST",
            ["Pdp:Envoy:Routes:0:Path"] = "/v1/users/{target}/disable",
            ["Pdp:Envoy:Routes:0:Action"] = "iam.account.disable",
            ["Pdp:Envoy:Routes:0:TargetKind"] = "account",
            ["Pdp:Envoy:Routes:1:Method"] = "*",
            ["Pdp:Envoy:Routes:1:Path"] = "/v1/echo/*/items",
            ["Pdp:Envoy:Routes:1:Action"] = "envoy.echo",
            ["Pdp:Envoy:DeniedHeaders:0"] = "x-internal-*",
            ["Pdp:Envoy:MaxBodyBytes"] = "1024",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static string CreatePolicies()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-envoy-policies-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "envoy.js"), """
            export const policy = {
              id: "envoy-test", owner: "envoy-owner", approver_group: "reviewers",
              applies_to: ["envoy.*", "iam.account.*"],
            };
            function pick(input, path) {
              let node = input;
              for (const key of path.split(".")) {
                node = node === undefined || node === null ? undefined : node[key];
              }
              return node;
            }
            export function decide(input) {
              const headers = (input.context.http && input.context.http.headers) || {};
              const echo = headers["x-echo"] ? (JSON.stringify(pick(input, headers["x-echo"])) ?? "undefined") : "no echo";
              switch (input.action.type) {
                case "envoy.echo": return { verdict: "allow", reason: echo, obligations: { max_ttl: "15m", "Ticket Id": "T-1" } };
                case "envoy.deny": return { verdict: "deny", reason: echo };
                case "envoy.human":
                case "iam.account.disable":
                  return { verdict: "require_human", reason: echo, review_ttl: headers["x-review-ttl"] || "1h" };
              }
              return undefined;
            }
            """);
        File.WriteAllText(Path.Combine(dir, "data", "groups.json"), """{ "reviewers": ["rita", "sam"] }""");
        return dir;
    }

    /// <summary>A CheckRequest as Envoy's HTTP ext_authz filter sends it (headers lower-cased, query inside the path).</summary>
    public static CheckRequest Request(string method, string path, IEnumerable<(string Name, string Value)>? headers = null, string? body = null, string source = Agent)
    {
        var http = new AttributeContext.Types.HttpRequest
        {
            Id = "req-" + Guid.NewGuid().ToString("N")[..8],
            Method = method,
            Path = path,
            Host = "users-api.internal",
            Scheme = "https",
            Protocol = "HTTP/1.1",
            Size = body?.Length ?? 0,
            Body = body ?? string.Empty,
        };
        foreach (var (name, value) in headers ?? [])
        {
            http.Headers[name] = value;
        }

        return new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = new AttributeContext.Types.Peer
                {
                    Principal = source,
                    Address = new Address { SocketAddress = new SocketAddress { Address = "10.0.0.7", PortValue = 41234 } },
                },
                Destination = new AttributeContext.Types.Peer
                {
                    Principal = Upstream,
                    Address = new Address { SocketAddress = new SocketAddress { Address = "10.0.0.9", PortValue = 8443 } },
                },
                Request = new AttributeContext.Types.Request { Http = http },
                ContextExtensions = { ["environment"] = "production" },
            },
        };
    }

    public static CheckRequest WithRawBody(CheckRequest request, byte[] body)
    {
        request.Attributes.Request.Http.Body = string.Empty;
        request.Attributes.Request.Http.RawBody = ByteString.CopyFrom(body);
        return request;
    }

    /// <summary>The decision id Pdp put on the response, allowed or denied.</summary>
    public static string DecisionId(CheckResponse response) =>
        (response.HttpResponseCase == CheckResponse.HttpResponseOneofCase.OkResponse ? OkHeader(response, "x-pdp-decision-id") : DeniedHeader(response, "x-pdp-decision-id"))
        ?? throw new InvalidOperationException("the response names no decision");

    /// <summary>The reason the echo policy gave (read back with GetDecision), parsed: the part of <c>input</c> the <c>x-echo</c> header named.</summary>
    public static async Task<JsonNode?> EchoAsync(PdpTestServer server, CheckResponse response)
    {
        var record = await server.Client.GetDecisionAsync(new Pdp.Contracts.V1.GetDecisionRequest { DecisionId = DecisionId(response) }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        return JsonNode.Parse(record.Reasons[0].Message);
    }

    public static JsonObject Body(CheckResponse response) => JsonNode.Parse(response.DeniedResponse.Body)!.AsObject();

    public static string? Header(IEnumerable<HeaderValueOption> headers, string name) =>
        headers.FirstOrDefault(h => h.Header.Key == name)?.Header.Value;

    public static string? DeniedHeader(CheckResponse response, string name) => Header(response.DeniedResponse.Headers, name);

    public static string? OkHeader(CheckResponse response, string name) => Header(response.OkResponse.Headers, name);

    public static HttpCode HttpStatus(CheckResponse response) => response.DeniedResponse.Status.Code;

    public static IReadOnlyList<AuditRecord> Trail(string path) => [.. AuditTrailReader.Read(path)];

    public static IEnumerable<AuditRecord> Refusals(string path, string kind) =>
        Trail(path).Where(r => r.Type == "check_refusal" && r.Payload["kind"]!.GetValue<string>() == kind);
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Contracts.Envoy.Core.V3;
using Pdp.Policies.Model;
using Pdp.Server.Configuration;
using Pdp.Server.Decisions;

namespace Pdp.Server.Mesh;

/// <summary>What a CheckRequest turned out to be.</summary>
public enum CheckMappingKind
{
    /// <summary>An input policies can decide on.</summary>
    Decidable,

    /// <summary>A well-formed HTTP request whose action type is unknown, invalid, or contradicted: denied without a policy decision.</summary>
    Undecidable,

    /// <summary>Not an HTTP authorization request (no attributes, request or http; no method or path).</summary>
    Malformed,
}

/// <summary>
/// A CheckRequest as a decision input. <see cref="Proposal"/> is the <c>input</c> document (request_id,
/// agent, action, context) for <see cref="DecisionMaker"/>; null only when <see cref="Kind"/> is
/// <see cref="CheckMappingKind.Malformed"/>. <see cref="Reason"/> says why a request is not decidable.
/// </summary>
public sealed record CheckMapping(CheckMappingKind Kind, string Reason, JsonObject? Proposal, string ApprovalId)
{
    public string AgentId => Proposal?["agent"]?["id"]?.GetValue<string>() ?? string.Empty;
}

/// <summary>
/// Maps Envoy's <c>CheckRequest</c> to the <c>input</c> document every front door decides on:
/// <list type="bullet">
/// <item><c>action.type</c> from the action header, else the route table; both present and different, or neither, is undecidable;</item>
/// <item><c>action.target</c> from the route's <c>{target}</c> capture and <c>TargetKind</c>, else the target headers (again, no contradiction);</item>
/// <item><c>action.parameters</c> from a JSON-object body of at most <c>MaxBodyBytes</c> (not truncated by Envoy); other bodies are not parsed;</item>
/// <item><c>agent.id</c> and <c>context.source_principal</c> from the source peer's principal (the SPIFFE ID Envoy verified);</item>
/// <item><c>context.http</c>: id, method, path, query, host, scheme, protocol, size, the headers minus the deny-list and pseudo-headers, and the body's size/parsed/sha256;</item>
/// <item>Envoy's <c>context_extensions</c> (set in Envoy's config, never by the client) as further <c>context</c> keys.</item>
/// </list>
/// </summary>
public sealed class CheckRequestMapper
{
    /// <summary>Header Envoy adds when it sent only the first bytes of a larger body.</summary>
    public const string PartialBodyHeader = "x-envoy-auth-partial-body";

    private static readonly string[] ReservedContextKeys = ["http", "source_principal", "destination_principal", "source_address", "destination_address"];

    private readonly EnvoyOptions _options;
    private readonly EnvoyRouteTable _routes;
    private readonly HeaderDenyList _denied;
    private readonly int _maxDepth;

    public CheckRequestMapper(IOptions<PdpOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Envoy;
        _maxDepth = options.Value.MaxStructDepth;
        _routes = new EnvoyRouteTable(_options.Routes);
        _denied = new HeaderDenyList([.. EnvoyOptions.BuiltInDeniedHeaders, .. _options.DeniedHeaders]);
    }

    public CheckMapping Map(CheckRequest request)
    {
        var attributes = request?.Attributes;
        var http = attributes?.Request?.Http;
        if (attributes is null || http is null)
        {
            var missing = attributes is null ? "attributes" : attributes.Request is null ? "attributes.request" : "attributes.request.http";
            return new CheckMapping(CheckMappingKind.Malformed, $"CheckRequest.{missing} is missing: Pdp authorizes HTTP requests and needs their method, path and headers", null, string.Empty);
        }

        var (path, query) = SplitPath(http.Path, http.Query);
        if (string.IsNullOrWhiteSpace(http.Method) || path.Length == 0)
        {
            return new CheckMapping(CheckMappingKind.Malformed, "CheckRequest.attributes.request.http has no method or path", null, string.Empty);
        }

        var method = http.Method.ToUpperInvariant();
        var headers = Headers(http);
        var body = Body(http, headers);
        var source = attributes.Source?.Principal ?? string.Empty;
        var proposal = new JsonObject
        {
            ["request_id"] = string.Empty,
            ["agent"] = new JsonObject { ["id"] = source },
            ["action"] = new JsonObject
            {
                ["type"] = string.Empty,
                ["target"] = new JsonObject { ["kind"] = string.Empty, ["id"] = string.Empty, ["attributes"] = new JsonObject() },
                ["parameters"] = body.Parameters ?? new JsonObject(),
            },
            ["context"] = Context(attributes, http, method, path, query, headers, body),
        };
        var approval = headers.TryGetValue(_options.ApprovalHeader, out var approvalText) ? approvalText.Trim() : string.Empty;
        var problem = MapAction(proposal["action"]!.AsObject(), method, path, headers);
        return problem is null
            ? new CheckMapping(CheckMappingKind.Decidable, string.Empty, proposal, approval)
            : new CheckMapping(CheckMappingKind.Undecidable, problem, proposal, approval);
    }

    /// <summary>Sets <c>action.type</c> and <c>action.target</c>; returns why that is impossible, or null.</summary>
    private string? MapAction(JsonObject action, string method, string path, Dictionary<string, string> headers)
    {
        var route = _routes.Match(method, path);
        var claimed = headers.TryGetValue(_options.ActionHeader, out var header) ? header.Trim() : string.Empty;
        if (route is not null && claimed.Length > 0 && !string.Equals(claimed, route.Action, StringComparison.Ordinal))
        {
            return $"{_options.ActionHeader} '{Clip(claimed)}' contradicts the route table, which maps {route.Method} {route.Pattern} to '{route.Action}'";
        }

        var type = route?.Action ?? claimed;
        if (type.Length == 0)
        {
            return $"unknown action: the request has no {_options.ActionHeader} header and no route in Pdp:Envoy:Routes matches {method} {Clip(path)}";
        }

        if (!ActionType.IsValid(type))
        {
            return $"{_options.ActionHeader} '{Clip(type)}' is not an action type: dotted lowercase segments such as 'iam.account.disable'";
        }

        action["type"] = type;
        var target = action["target"]!.AsObject();
        return Target(target, "id", route?.TargetId, _options.TargetHeader, headers, "the route's {target} segment")
            ?? Target(target, "kind", route is { TargetKind.Length: > 0 } ? route.TargetKind : null, _options.TargetKindHeader, headers, "the route's TargetKind");
    }

    private static string? Target(JsonObject target, string key, string? fromRoute, string headerName, Dictionary<string, string> headers, string routeSource)
    {
        var fromHeader = headers.TryGetValue(headerName, out var header) ? header.Trim() : string.Empty;
        if (fromRoute is not null && fromHeader.Length > 0 && !string.Equals(fromRoute, fromHeader, StringComparison.Ordinal))
        {
            return $"{headerName} '{Clip(fromHeader)}' contradicts {routeSource} '{Clip(fromRoute)}'";
        }

        var value = fromRoute ?? fromHeader;
        if (value.Length > DecisionInputBuilder.MaxIdLength)
        {
            return $"action.target.{key} is longer than {DecisionInputBuilder.MaxIdLength} characters";
        }

        target[key] = value;
        return null;
    }

    private JsonObject Context(AttributeContext attributes, AttributeContext.Types.HttpRequest http, string method, string path, string query, Dictionary<string, string> headers, BodyMapping body)
    {
        var kept = new JsonObject();
        foreach (var (name, value) in headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            // Pseudo-headers repeat method, path, host and scheme, which have their own fields.
            if (!name.StartsWith(':') && !_denied.Denies(name))
            {
                kept[name] = value;
            }
        }

        var context = new JsonObject();
        foreach (var (key, value) in attributes.ContextExtensions.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!ReservedContextKeys.Contains(key, StringComparer.Ordinal))
            {
                context[key] = value;
            }
        }

        context["http"] = new JsonObject
        {
            ["id"] = http.Id,
            ["method"] = method,
            ["path"] = path,
            ["query"] = query,
            ["host"] = http.Host,
            ["scheme"] = http.Scheme,
            ["protocol"] = http.Protocol,
            ["size"] = http.Size,
            ["headers"] = kept,
            ["body"] = new JsonObject
            {
                ["size"] = body.Size,
                ["parsed"] = body.Parameters is not null,
                ["truncated"] = body.Truncated,
                ["sha256"] = body.Sha256,
            },
        };
        context["source_principal"] = attributes.Source?.Principal ?? string.Empty;
        context["destination_principal"] = attributes.Destination?.Principal ?? string.Empty;
        context["source_address"] = AddressText(attributes.Source?.Address);
        context["destination_address"] = AddressText(attributes.Destination?.Address);
        return context;
    }

    /// <summary>
    /// The body as parameters when it is a JSON object within the limits; otherwise its size and SHA-256, so
    /// that an approval of a request whose body Pdp could not read still binds to that exact body.
    /// </summary>
    private BodyMapping Body(AttributeContext.Types.HttpRequest http, Dictionary<string, string> headers)
    {
        var bytes = http.RawBody.Length > 0 ? http.RawBody.Memory : Encoding.UTF8.GetBytes(http.Body);
        if (bytes.Length == 0)
        {
            return new BodyMapping(null, 0, false, string.Empty);
        }

        var truncated = headers.TryGetValue(PartialBodyHeader, out var partial) && string.Equals(partial.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var parameters = truncated || bytes.Length > _options.MaxBodyBytes ? null : ParseObject(bytes);
        var sha256 = parameters is null ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes.Span)) : string.Empty;
        return new BodyMapping(parameters, bytes.Length, truncated, sha256);
    }

    /// <summary>A JSON object, numbers as doubles (as a Struct carries them, so digests agree with Decide's), or null.</summary>
    private JsonObject? ParseObject(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = _maxDepth, AllowDuplicateProperties = false });
            return document.RootElement.ValueKind == JsonValueKind.Object ? (JsonObject?)Normalise(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static JsonNode? Normalise(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new JsonObject(element.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, Normalise(p.Value)))),
        JsonValueKind.Array => new JsonArray([.. element.EnumerateArray().Select(Normalise)]),
        JsonValueKind.String => JsonValue.Create(element.GetString()),
        JsonValueKind.Number => element.TryGetDouble(out var number) && double.IsFinite(number) ? JsonValue.Create(number) : throw new FormatException("a number out of range"),
        JsonValueKind.True => JsonValue.Create(true),
        JsonValueKind.False => JsonValue.Create(false),
        _ => null,
    };

    /// <summary>Header names lower-cased; from <c>headers</c>, or from <c>header_map</c> (repeats joined with ',') when Envoy sends raw headers.</summary>
    private static Dictionary<string, string> Headers(AttributeContext.Types.HttpRequest http)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in http.Headers)
        {
            Add(headers, name, value);
        }

        if (http.HeaderMap is { } raw)
        {
            foreach (var header in raw.Headers)
            {
                Add(headers, header.Key, header.RawValue.Length > 0 ? header.RawValue.ToStringUtf8() : header.Value);
            }
        }

        return headers;
    }

    private static void Add(Dictionary<string, string> headers, string name, string value)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        var key = name.ToLowerInvariant();
        headers[key] = headers.TryGetValue(key, out var existing) ? existing + "," + value : value;
    }

    private static (string Path, string Query) SplitPath(string target, string query)
    {
        var mark = target.IndexOf('?', StringComparison.Ordinal);
        return mark < 0 ? (target, query) : (target[..mark], target[(mark + 1)..]);
    }

    private static string AddressText(Address? address) => address?.AddressCase switch
    {
        Pdp.Contracts.Envoy.Core.V3.Address.AddressOneofCase.SocketAddress => address.SocketAddress.PortSpecifierCase == SocketAddress.PortSpecifierOneofCase.PortValue
            ? string.Create(CultureInfo.InvariantCulture, $"{address.SocketAddress.Address}:{address.SocketAddress.PortValue}")
            : address.SocketAddress.Address,
        Pdp.Contracts.Envoy.Core.V3.Address.AddressOneofCase.Pipe => address.Pipe.Path,
        _ => string.Empty,
    };

    private static string Clip(string text) => text.Length <= 128 ? text : text[..128] + "…";

    private sealed record BodyMapping(JsonObject? Parameters, long Size, bool Truncated, string Sha256);
}

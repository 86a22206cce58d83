using System.Globalization;
using Pdp.Policies.Model;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Configuration;

/// <summary>
/// Envoy external authorization (<c>Pdp:Envoy</c>): how an Envoy <c>CheckRequest</c> becomes a decision
/// input, which request headers never reach policies or the trail, and how long a human approval stays
/// usable for the agent's retry. See <c>src/Pdp.Server/Mesh</c> and the README's Envoy section.
/// </summary>
public sealed class EnvoyOptions
{
    /// <summary>
    /// Headers that never reach policies or the trail, whatever is configured: credentials and anything
    /// named like one. <c>*</c> matches any run of characters; names compare case-insensitively.
    /// </summary>
    public static readonly IReadOnlyList<string> BuiltInDeniedHeaders =
    [
        "authorization", "proxy-authorization", "cookie", "set-cookie",
        "*token*", "*secret*", "*password*", "*api-key*", "*apikey*", "*credential*",
    ];

    /// <summary>Serve <c>envoy.service.auth.v3.Authorization</c> on the gRPC listeners. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Request header naming the action type. Default <c>x-ai-action</c>.</summary>
    public string ActionHeader { get; set; } = "x-ai-action";

    /// <summary>Request header naming the target id when no route captures one. Default <c>x-ai-target</c>.</summary>
    public string TargetHeader { get; set; } = "x-ai-target";

    /// <summary>Request header naming the target kind when no route names one. Default <c>x-ai-target-kind</c>.</summary>
    public string TargetKindHeader { get; set; } = "x-ai-target-kind";

    /// <summary>Request header carrying the id of a human-approved decision on a retry. Default <c>x-pdp-approval</c>.</summary>
    public string ApprovalHeader { get; set; } = "x-pdp-approval";

    /// <summary>Method and path patterns mapped to action types, tried in order; the first match wins.</summary>
    public IList<EnvoyRouteOptions> Routes { get; } = [];

    /// <summary>Further header names or <c>*</c> patterns kept from policies and the trail, on top of <see cref="BuiltInDeniedHeaders"/>.</summary>
    public IList<string> DeniedHeaders { get; } = [];

    /// <summary>Largest request body parsed as JSON into <c>action.parameters</c>; larger bodies are not parsed. Default 65536; 0 never parses.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long after its review settled an approval can be used, once. Default 900 s.</summary>
    public int ApprovalValiditySeconds { get; set; } = 900;

    /// <summary>
    /// SPIFFE IDs (exact, or ending in <c>/*</c>) of the proxies allowed to call Check. Empty (default): any
    /// caller, which policies still see as <c>input.caller</c>. Non-empty: only mTLS callers listed here.
    /// </summary>
    public IList<string> Callers { get; } = [];

    /// <summary>Every problem with these settings, each naming its key below <c>Pdp:Envoy:</c>.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[] { ("ActionHeader", ActionHeader), ("TargetHeader", TargetHeader), ("TargetKindHeader", TargetKindHeader), ("ApprovalHeader", ApprovalHeader) })
        {
            if (!IsHeaderName(value))
            {
                yield return $"{name} '{value}' is not an HTTP header name.";
            }
            else if (value.StartsWith(':'))
            {
                yield return $"{name} '{value}' is a pseudo-header.";
            }
        }

        foreach (var pattern in DeniedHeaders)
        {
            var literal = pattern?.Replace("*", string.Empty, StringComparison.Ordinal) ?? string.Empty;
            if (string.IsNullOrWhiteSpace(pattern) || (literal.Length > 0 && !IsHeaderName(literal)))
            {
                yield return $"DeniedHeaders: '{pattern}' is not a header name or pattern.";
            }
        }

        if (MaxBodyBytes is < 0 or > 16 * 1024 * 1024)
        {
            yield return "MaxBodyBytes must be between 0 and 16777216.";
        }

        if (ApprovalValiditySeconds is < 1 or > 7 * 86_400)
        {
            yield return "ApprovalValiditySeconds must be between 1 and 604800.";
        }

        for (var i = 0; i < Routes.Count; i++)
        {
            foreach (var problem in Routes[i].Validate())
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"Routes:{i}: {problem}");
            }
        }

        foreach (var caller in Callers)
        {
            var id = caller.EndsWith("/*", StringComparison.Ordinal) ? caller[..^2] : caller;
            if (!SpiffeId.TryParse(id, out _, out var error))
            {
                yield return $"Callers: '{caller}' {error}.";
            }
        }
    }

    /// <summary>An RFC 9110 token (what a header name is), or a pseudo-header name.</summary>
    public static bool IsHeaderName(string? name) =>
        !string.IsNullOrEmpty(name) && name.TrimStart(':').Length > 0 && name.TrimStart(':').All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}

/// <summary>
/// One route: <c>Method</c> (or <c>*</c>) and a <c>Path</c> pattern whose <c>*</c> matches one path segment and
/// whose <c>{target}</c> matches one segment and makes it <c>action.target.id</c>; <c>Action</c> is the action
/// type, <c>TargetKind</c> the optional <c>action.target.kind</c>.
/// </summary>
public sealed class EnvoyRouteOptions
{
    public const string TargetCapture = "{target}";

    /// <summary>The HTTP method the route matches, or <c>*</c> for any. Default <c>*</c>.</summary>
    public string Method { get; set; } = "*";

    /// <summary>The path pattern: <c>*</c> matches one segment, <c>{target}</c> one segment that becomes <c>action.target.id</c>.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The action type a matching request asks for.</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>The optional <c>action.target.kind</c> of a matching request.</summary>
    public string TargetKind { get; set; } = string.Empty;

    public IEnumerable<string> Validate()
    {
        if (Method != "*" && !EnvoyOptions.IsHeaderName(Method))
        {
            yield return $"Method '{Method}' is not an HTTP method or '*'.";
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.Contains('?', StringComparison.Ordinal))
        {
            yield return $"Path '{Path}' must start with '/' and hold no query.";
        }
        else
        {
            var segments = Path.Split('/');
            if (segments.Count(s => s == TargetCapture) > 1)
            {
                yield return $"Path '{Path}' captures {TargetCapture} more than once.";
            }

            if (segments.Any(s => s != "*" && s != TargetCapture && (s.Contains('*', StringComparison.Ordinal) || s.Contains('{', StringComparison.Ordinal) || s.Contains('}', StringComparison.Ordinal))))
            {
                yield return $"Path '{Path}': '*' and '{TargetCapture}' must be whole segments.";
            }
        }

        if (!ActionType.IsValid(Action))
        {
            yield return $"Action '{Action}' must be dotted lowercase segments such as 'iam.account.disable'.";
        }

        if (TargetKind.Length > 256)
        {
            yield return "TargetKind is longer than 256 characters.";
        }
    }
}

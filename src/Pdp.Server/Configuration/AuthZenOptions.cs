using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Pdp.Server.Configuration;

/// <summary>
/// The OpenID AuthZEN Authorization API 1.0 front door (<c>Pdp:AuthZen</c>): <c>POST /access/v1/evaluation</c>,
/// <c>POST /access/v1/evaluations</c> and <c>GET /.well-known/authzen-configuration</c> on a listener of their own.
/// Every evaluation is a real decision, recorded like a gRPC one.
/// </summary>
public sealed class AuthZenOptions
{
    /// <summary>Largest accepted request body, and the bound on <see cref="MaxRequestBytes"/>.</summary>
    public const int MaxRequestBytesLimit = 64 * 1024 * 1024;

    /// <summary>Bound on <see cref="MaxEvaluations"/>: each evaluation is a durable decision.</summary>
    public const int MaxEvaluationsLimit = 1000;

    /// <summary>The port the listener takes when <see cref="Enabled"/> is true and no <see cref="Port"/> is set.</summary>
    public const int DefaultPort = 8383;

    /// <summary>
    /// Serve the AuthZEN listener. Unset (the default): served exactly when <see cref="Port"/> is set, so a second
    /// instance on the same host never collides on a port it did not ask for. True without a port: <see cref="DefaultPort"/>.
    /// False: off, whatever the port.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Port of the AuthZEN listener, bound on <see cref="PdpOptions.ListenAddress"/>; 0 lets the OS choose. Unset by default (off).</summary>
    public int? Port { get; set; }

    /// <summary>Whether the listener runs: <see cref="Enabled"/> when given, else whether <see cref="Port"/> is set.</summary>
    public bool IsServed => Enabled ?? Port.HasValue;

    /// <summary>The port the listener binds when it runs.</summary>
    public int ListenPort => Port ?? DefaultPort;

    /// <summary>
    /// <c>Http1</c> (default) or <c>Http2</c> (cleartext HTTP/2 with prior knowledge). The listener is
    /// cleartext, and without TLS there is no ALPN to choose between the two on one port: Kestrel would serve
    /// an "HTTP/1.1 and HTTP/2" cleartext port as HTTP/1.1 only. So a deployment picks the one its PEPs speak.
    /// </summary>
    public string Protocols { get; set; } = "Http1";

    /// <summary>Largest request body; larger ones get 413. Default 1 MiB; 1024..67108864.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Most entries in one <c>evaluations</c> array; more get 400. Default 64; 1..1000.</summary>
    public int MaxEvaluations { get; set; } = 64;

    /// <summary>
    /// The <c>policy_decision_point</c> identifier the metadata document names (an absolute http(s) URL without
    /// query or fragment), e.g. the URL a TLS-terminating proxy publishes. Default empty: the scheme and host
    /// the request itself used, so the PEP's identifier check passes on loopback.
    /// </summary>
    public string PolicyDecisionPoint { get; set; } = string.Empty;

    /// <summary>The Kestrel protocols <see cref="Protocols"/> names, or null when it names none of the two.</summary>
    public HttpProtocols? KestrelProtocols => Protocols.Trim().ToUpperInvariant() switch
    {
        "HTTP1" => HttpProtocols.Http1,
        "HTTP2" => HttpProtocols.Http2,
        _ => null,
    };

    /// <summary>Problems with these settings (empty when they are usable), each naming its setting.</summary>
    public IEnumerable<string> Validate(PdpOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        // Every value is checked even while the listener is off: a setting that is wrong now is wrong when it is turned on.
        if (ListenPort is < 0 or > 65535)
        {
            yield return "Pdp:AuthZen:Port must be between 0 and 65535.";
        }
        else if (IsServed && ListenPort != 0 && (ListenPort == server.GrpcPort || ListenPort == server.AdminPort || (server.Tls.Enabled && ListenPort == server.Tls.Port)))
        {
            yield return "Pdp:AuthZen:Port must differ from Pdp:GrpcPort, Pdp:AdminPort and Pdp:Tls:Port.";
        }

        if (KestrelProtocols is null)
        {
            yield return $"Pdp:AuthZen:Protocols '{Protocols}' must be Http1 or Http2 (a cleartext port cannot negotiate between them).";
        }

        if (MaxRequestBytes is < 1024 or > MaxRequestBytesLimit)
        {
            yield return $"Pdp:AuthZen:MaxRequestBytes must be between 1024 and {MaxRequestBytesLimit}.";
        }

        if (MaxEvaluations is < 1 or > MaxEvaluationsLimit)
        {
            yield return $"Pdp:AuthZen:MaxEvaluations must be between 1 and {MaxEvaluationsLimit}.";
        }

        if (PolicyDecisionPoint.Length > 0
            && !(Uri.TryCreate(PolicyDecisionPoint, UriKind.Absolute, out var uri)
                 && uri.Scheme is "https" or "http"
                 && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)))
        {
            yield return $"Pdp:AuthZen:PolicyDecisionPoint '{PolicyDecisionPoint}' must be an absolute http(s) URL without query or fragment.";
        }
    }
}

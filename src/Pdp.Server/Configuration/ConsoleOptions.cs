namespace Pdp.Server.Configuration;

/// <summary>
/// The reviewer console (<c>Pdp:Console</c>): HTML pages where a reviewer, proven by an OIDC bearer token, sees their
/// queue and decides, on a listener of its own. Off unless <see cref="Port"/> is set; needs <c>Pdp:Review:Oidc</c>.
/// </summary>
public sealed class ConsoleOptions
{
    /// <summary>Port of the console listener, bound on <see cref="PdpOptions.ListenAddress"/>. Default unset: no console.</summary>
    public int? Port { get; set; }

    /// <summary>Most live queue streams (server-sent events) open at once; more get 503 and retry. Default 256; 1..10000.</summary>
    public int MaxStreams { get; set; } = 256;

    /// <summary>Most reviews one queue page lists. Default 200; 1..5000.</summary>
    public int QueueLimit { get; set; } = 200;

    /// <summary>
    /// Most (reviewer, decision) first-shown times remembered for the rubber-stamp check; past that the oldest are
    /// forgotten, and a forgotten page counts as shown anew (stricter, never laxer). Default 100,000; 100..10,000,000.
    /// </summary>
    public int MaxShownPages { get; set; } = 100_000;

    public bool Enabled => Port is not null;

    /// <summary>Problems with these settings (empty when they are usable), each naming its setting.</summary>
    public IEnumerable<string> Validate(PdpOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (Port is not { } port)
        {
            yield break;
        }

        if (!server.Review.Oidc.Enabled)
        {
            yield return "Pdp:Console:Port is set but Pdp:Review:Oidc is not configured: the console signs reviewers in only with tokens it verifies itself. "
                + "Set Pdp:Review:Oidc:Issuer, Audience and JwksPath (or JwksUrl), or remove Pdp:Console:Port.";
        }

        if (port is < 0 or > 65535)
        {
            yield return "Pdp:Console:Port must be between 0 and 65535.";
        }
        else if (port != 0 && (port == server.GrpcPort || port == server.AdminPort || (server.Tls.Enabled && port == server.Tls.Port) || (server.AuthZen.IsServed && port == server.AuthZen.ListenPort)))
        {
            yield return "Pdp:Console:Port must differ from Pdp:GrpcPort, Pdp:AdminPort, Pdp:Tls:Port and Pdp:AuthZen:Port.";
        }

        if (MaxStreams is < 1 or > 10_000)
        {
            yield return "Pdp:Console:MaxStreams must be between 1 and 10000.";
        }

        if (QueueLimit is < 1 or > 5000)
        {
            yield return "Pdp:Console:QueueLimit must be between 1 and 5000.";
        }

        if (MaxShownPages is < 100 or > 10_000_000)
        {
            yield return "Pdp:Console:MaxShownPages must be between 100 and 10000000.";
        }
    }
}

using System.Net;

namespace Pdp.Server.Configuration;

/// <summary>
/// Notifications of review events (opened, settled, expired, escalated) to HTTP endpoints (<c>Pdp:Notify</c>), each
/// signed as Standard Webhooks defines. Off unless an endpoint is configured. See docs/notifications.md.
/// </summary>
public sealed class NotifyOptions
{
    /// <summary>The webhook endpoints, each told of the review events of the approver groups it serves. Default none: off.</summary>
    public IList<NotifyEndpointOptions> Endpoints { get; } = [];

    /// <summary>The console's address as reviewers reach it (<c>https://pdp.example.org</c>); events link to the decision page when set.</summary>
    public string ConsoleUrl { get; set; } = string.Empty;

    /// <summary>First wait before a failed delivery is tried again by the outbox; doubled each time, with jitter. Default 1000 ms.</summary>
    public int RetryBaseMilliseconds { get; set; } = 1000;

    /// <summary>Longest wait between delivery rounds of one notification. Default 300 s.</summary>
    public int RetryMaxSeconds { get; set; } = 300;

    /// <summary>A notification not delivered after this long is given up (counted as abandoned). Default 86,400 s.</summary>
    public int GiveUpAfterSeconds { get; set; } = 86_400;

    /// <summary>Longest wait for one HTTP attempt. Default 10 s.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Most notifications waiting in the local outbox; past that it stops reading the trail until some are delivered. Default 10,000.</summary>
    public int MaxBacklog { get; set; } = 10_000;

    /// <summary>How long a replica's claim on notifications (shared store) lasts before another may take them. Default 60 s.</summary>
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often the outbox is looked at for due notifications. Default 200 ms.</summary>
    public int PollMilliseconds { get; set; } = 200;

    /// <summary>Whether any endpoint is configured.</summary>
    public bool Enabled => Endpoints.Count > 0;

    /// <summary>Problems with these settings, each naming its setting; never quoting a secret.</summary>
    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < Endpoints.Count; i++)
        {
            foreach (var problem in Endpoints[i].Validate())
            {
                yield return $"Pdp:Notify:Endpoints:{i}:{problem}";
            }
        }

        if (Endpoints.Select((e, i) => e.LabelOf(i)).GroupBy(n => n, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            yield return "Pdp:Notify:Endpoints: names must be unique (they label the metrics).";
        }

        if (ConsoleUrl.Length > 0 && !(Uri.TryCreate(ConsoleUrl, UriKind.Absolute, out var console) && console.Scheme is "http" or "https"))
        {
            yield return "Pdp:Notify:ConsoleUrl must be an absolute http(s) URL.";
        }

        if (RetryBaseMilliseconds is < 10 or > 600_000 || RetryMaxSeconds is < 1 or > 86_400 || GiveUpAfterSeconds is < 1 or > 30 * 86_400)
        {
            yield return "Pdp:Notify: RetryBaseMilliseconds must be 10..600000, RetryMaxSeconds 1..86400 and GiveUpAfterSeconds 1..2592000.";
        }

        if (TimeoutSeconds is < 1 or > 300 || MaxBacklog is < 1 or > 10_000_000 || LeaseSeconds is < 5 or > 3600 || PollMilliseconds is < 10 or > 60_000)
        {
            yield return "Pdp:Notify: TimeoutSeconds must be 1..300, MaxBacklog 1..10000000, LeaseSeconds 5..3600 and PollMilliseconds 10..60000.";
        }
        else if (LeaseSeconds <= TimeoutSeconds * 4)
        {
            // A claim must outlast one delivery round with its retries, or a second replica could deliver it too.
            yield return "Pdp:Notify:LeaseSeconds must exceed four times TimeoutSeconds.";
        }
    }
}

/// <summary>One webhook endpoint (<c>Pdp:Notify:Endpoints:N</c>).</summary>
public sealed class NotifyEndpointOptions
{
    public const string CloudEventsFormat = "cloudevents";
    public const string SlackFormat = "slack";

    /// <summary>Where events are POSTed: https, or http to a loopback address only.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>The signing secret, <c>whsec_</c> then base64 of 24 to 64 random bytes. Keep it in a secret, never in a file in the image.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>Approver groups it serves (compared ignoring case); empty: every group.</summary>
    public IList<string> Groups { get; } = [];

    /// <summary><c>cloudevents</c> (default: CloudEvents 1.0, structured JSON) or <c>slack</c> (an incoming-webhook message).</summary>
    public string Format { get; set; } = CloudEventsFormat;

    /// <summary>Its name in metrics and logs. Default its index: a URL may carry a token and never labels anything.</summary>
    public string Name { get; set; } = string.Empty;

    public string LabelOf(int index) => Name.Length > 0 ? Name : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public bool Serves(IEnumerable<string> groups) => Groups.Count == 0 || groups.Any(g => Groups.Contains(g, StringComparer.OrdinalIgnoreCase));

    /// <summary>The secret's key bytes; null when it is not in <c>whsec_</c> form.</summary>
    public byte[]? Key()
    {
        const string prefix = "whsec_";
        if (!Secret.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var bytes = new byte[Secret.Length];
        return Convert.TryFromBase64String(Secret[prefix.Length..], bytes, out var written) && written is >= 24 and <= 64 ? bytes[..written] : null;
    }

    internal IEnumerable<string> Validate()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return "Url must be an absolute http(s) URL.";
        }
        else if (url.Scheme == "http" && !IsLoopback(url))
        {
            // The body and its signature cross the network: plain http only where it never leaves the host.
            yield return "Url must be https (http is accepted for loopback addresses only).";
        }

        if (Key() is null)
        {
            yield return "Secret must be whsec_ followed by the base64 of 24 to 64 random bytes (Standard Webhooks).";
        }

        if (Format is not (CloudEventsFormat or SlackFormat))
        {
            yield return $"Format must be {CloudEventsFormat} or {SlackFormat}.";
        }

        if (Groups.Any(string.IsNullOrWhiteSpace))
        {
            yield return "Groups must be non-empty group names (leave Groups out to serve every group).";
        }

        if (Name.Length > 64 || Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            yield return "Name must be at most 64 characters of letters, digits, '-', '_' or '.'.";
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}

using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Nodes;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Pdp.Review.Notifications;
using Pdp.Server.Configuration;

namespace Pdp.Server.Notifications;

/// <summary>
/// A notice as an endpoint's format wants it: a CloudEvents 1.0 event in structured mode
/// (<c>application/cloudevents+json</c>, id = the notice id, type <c>dev.pdp.review.&lt;kind&gt;</c>, subject = the
/// decision id), or a Slack incoming-webhook message. The console link is added here, from the configured address.
/// </summary>
public static class NoticeFormats
{
    public const string TypePrefix = "dev.pdp.review.";
    public static readonly Uri Source = new("urn:pdp:reviews");

    private static readonly JsonEventFormatter Formatter = new(new JsonSerializerOptions { TypeInfoResolver = NoticeJsonContext.Default }, default);

    public static (byte[] Body, string ContentType) Format(ReviewNotice notice, string format, string consoleUrl)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var link = ConsoleLink(notice.DecisionId, consoleUrl);
        return format == NotifyEndpointOptions.SlackFormat ? Slack(notice, link) : CloudEvent(notice, link);
    }

    public static string? ConsoleLink(string decisionId, string consoleUrl) =>
        consoleUrl.Length == 0 ? null : consoleUrl.TrimEnd('/') + Console.ConsoleEndpoints.DecisionsPrefix + Uri.EscapeDataString(decisionId);

    /// <summary>The event's data: what a reviewer needs to decide whether to open the review.</summary>
    public static JsonObject Data(ReviewNotice notice, string? link)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var data = new JsonObject
        {
            ["decision_id"] = notice.DecisionId,
            ["action_type"] = notice.ActionType,
            ["target"] = new JsonObject { ["kind"] = notice.TargetKind, ["id"] = notice.TargetId },
            ["approver_group"] = notice.ApproverGroup,
            ["control_owner"] = notice.ControlOwner,
            ["policy_id"] = notice.PolicyId,
            ["state"] = notice.State,
            ["escalated"] = notice.Escalated,
        };
        if (notice.EscalationGroup.Length > 0)
        {
            data["escalation_group"] = notice.EscalationGroup;
        }

        if (notice.ExpiresAt is { } expires)
        {
            data["expires_at"] = Pdp.Review.Events.EventTime.FormatProtobuf(expires);
        }

        if (link is not null)
        {
            data["console_url"] = link;
        }

        return data;
    }

    private static (byte[] Body, string ContentType) CloudEvent(ReviewNotice notice, string? link)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = notice.Id,
            Source = Source,
            Type = TypePrefix + ReviewNotice.KindText(notice.Kind),
            Subject = notice.DecisionId,
            Time = notice.At,
            DataContentType = MediaTypeNames.Application.Json,
            Data = JsonElement.Parse(Data(notice, link).ToJsonString()),
        };
        var body = Formatter.EncodeStructuredModeMessage(cloudEvent, out var contentType);
        return (body.ToArray(), contentType.ToString());
    }

    private static (byte[] Body, string ContentType) Slack(ReviewNotice notice, string? link)
    {
        var what = notice.Kind switch
        {
            NoticeKind.Opened => "needs a review",
            NoticeKind.Settled => $"was settled ({notice.State})",
            NoticeKind.Expired => "expired with no disposition",
            _ => $"is still pending and escalated to {notice.EscalationGroup}",
        };
        var target = notice.TargetId.Length > 0 ? $" on {notice.TargetKind} {notice.TargetId}" : string.Empty;
        var expires = notice.ExpiresAt is { } at && notice.Kind is NoticeKind.Opened or NoticeKind.Escalated ? $", expires {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : string.Empty;
        var text = $"*{notice.ActionType}*{target} {what} — group {notice.ApproverGroup}, owner {notice.ControlOwner}{expires}. Decision {notice.DecisionId}"
            + (link is null ? string.Empty : $" <{link}|Open in the console>");
        var body = new JsonObject { ["text"] = text }.ToJsonString();
        return (System.Text.Encoding.UTF8.GetBytes(body), MediaTypeNames.Application.Json);
    }
}

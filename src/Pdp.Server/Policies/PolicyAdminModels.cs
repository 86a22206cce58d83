using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pdp.Server.Policies;

/// <summary>Answer of <c>POST /admin/reload</c>.</summary>
/// <param name="Result"><c>activated</c>, <c>unchanged</c>, <c>refused</c>, or <c>disabled</c> (<c>Pdp:Reload:Enabled</c> is false).</param>
/// <param name="Revision">The revision serving after the attempt.</param>
/// <param name="Problems">Why the set was refused: <c>file:line:col: message</c> each.</param>
public sealed record ReloadResponse(string Result, string? Revision, IReadOnlyList<string> Problems);

/// <summary>Answer of <c>GET /admin/policies</c>: what is serving, and how the loads went.</summary>
public sealed record PoliciesResponse(string Revision, DateTimeOffset LoadedAt, IReadOnlyList<PolicySummary> Policies, ReloadSummary Reload);

public sealed record PolicySummary(string Id, string Owner, string File);

public sealed record ReloadSummary(
    long Successes,
    long Failures,
    long Activations,
    string? LastResult,
    string? LastTrigger,
    DateTimeOffset? LastAttemptAt,
    double? LastDurationMs,
    DateTimeOffset? LastFailureAt,
    string? LastError);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ReloadResponse))]
[JsonSerializable(typeof(PoliciesResponse))]
internal sealed partial class PolicyAdminJson : JsonSerializerContext
{
    /// <summary>Leaves quotes and apostrophes in problem messages readable (the answers are never embedded in HTML).</summary>
    public static PolicyAdminJson Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

internal static class PolicyAdminText
{
    public static string Of(ReloadOutcome outcome) => outcome switch
    {
        ReloadOutcome.Activated => "activated",
        ReloadOutcome.Unchanged => "unchanged",
        ReloadOutcome.Refused => "refused",
        _ => "skipped",
    };

    public static string Of(ReloadTrigger trigger) => trigger switch
    {
        ReloadTrigger.Startup => "startup",
        ReloadTrigger.FileChange => "file_change",
        ReloadTrigger.Poll => "poll",
        ReloadTrigger.Signal => "signal",
        _ => "admin",
    };
}

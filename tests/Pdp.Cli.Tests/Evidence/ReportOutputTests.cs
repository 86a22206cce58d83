using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// The report's other forms over the scenario's trail: every number the HTML and Markdown show is a value of the JSON
/// at the pointer the HTML names; the HTML references nothing outside itself; a signed report verifies, and an edited
/// one (or another key) does not.
/// </summary>
public sealed partial class ReportOutputTests(EvidenceScenario scenario) : IClassFixture<EvidenceScenario>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pdp-report-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Html_EveryFigure_IsTheJsonValueAtItsPointer()
    {
        // Signed, so the JSON form is written beside the HTML by the same run (same generation time).
        var (json, html) = (Path.Combine(_dir, "r.json"), Path.Combine(_dir, "r.html"));
        Assert.Equal(ExitCodes.Ok, Cli.Run(["token", "keygen", Path.Combine(_dir, "key")]).ExitCode);
        var key = Path.Combine(_dir, "key", "reviewer-key.pem");
        var run = Cli.Run(["report", scenario.TrailPath, .. new ReportCommandTests(scenario).Period("all"), "--format", "html", "--output", html, "--sign", key]);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        var page = File.ReadAllText(html);

        var cells = Cells().Matches(page).ToList();
        Assert.True(cells.Count > 100, $"only {cells.Count} figures carry a pointer");
        foreach (var cell in cells)
        {
            var pointer = WebUtility.HtmlDecode(cell.Groups["pointer"].Value);
            var text = WebUtility.HtmlDecode(cell.Groups["text"].Value);
            Assert.Equal(Shown(Resolve(report, pointer), pointer), text);
        }

        // Chart marks name their value too: every bar's pointer resolves to a positive count.
        var marks = Marks().Matches(page).Select(m => m.Groups["pointer"].Value).ToList();
        Assert.NotEmpty(marks);
        Assert.All(marks, p => Assert.True(Resolve(report, p) is JsonValue v && v.GetValue<double>() >= 0, p));
        Assert.DoesNotMatch("(src|href)=|<script|@import|url\\(", page);
    }

    [Fact]
    public void Markdown_Totals_AreTheJsonTotals()
    {
        var period = new ReportCommandTests(scenario).Period("all");
        var (_, report) = ReportCommandTests.Report(scenario.TrailPath, period);
        var md = Cli.Run(["report", scenario.TrailPath, .. period, "--format", "md"]);

        Assert.Equal(ExitCodes.Ok, md.ExitCode);
        var totals = report["totals"]!;
        var row = md.OutLines.First(l => l.StartsWith("| All in scope |", StringComparison.Ordinal));
        var expected = string.Join(" | ", new[] { "allow", "deny", "require_human" }.Select(v => totals["decisions"]![v]!.ToJsonString())
            .Concat(new[] { "opened", "approved", "rejected", "modified", "reversed", "expired", "escalated" }.Select(r => totals["reviews"]![r]!.ToJsonString())));
        Assert.Equal($"| All in scope | {expected} |", row);
        Assert.Contains(report["chain_head"]!.GetValue<string>(), md.Out, StringComparison.Ordinal);
        Assert.Contains("## Sign-off", md.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_ReportVerifies_EditedReportOrOtherKeyFails()
    {
        Assert.Equal(ExitCodes.Ok, Cli.Run(["token", "keygen", Path.Combine(_dir, "k1")]).ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli.Run(["token", "keygen", Path.Combine(_dir, "k2")]).ExitCode);
        var key = Path.Combine(_dir, "k1", "reviewer-key.pem");
        var other = Path.Combine(_dir, "k2", "reviewer-key.pem");
        var html = Path.Combine(_dir, "evidence.html");
        var json = Path.Combine(_dir, "evidence.json");

        var signed = Cli.Run(["report", scenario.TrailPath, .. new ReportCommandTests(scenario).Period("all"), "--format", "html", "--output", html, "--sign", key]);
        var good = Cli.Run(["report", "verify-signature", json, "--key", key]);
        var wrongKey = Cli.Run(["report", "verify-signature", json, "--key", other]);
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"rubber_stamps\": ", "\"rubber_stamps\": 1", StringComparison.Ordinal));
        var edited = Cli.Run(["report", "verify-signature", json, "--key", key]);

        Assert.True(signed.ExitCode == ExitCodes.Ok, signed.ToString());
        Assert.True(File.Exists(html) && File.Exists(json + ".jws"));
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(json + ".jws"), StringComparison.Ordinal);
        Assert.True(good.ExitCode == ExitCodes.Ok, good.ToString());
        Assert.Equal(ExitCodes.Failed, wrongKey.ExitCode);
        Assert.Contains("not this key", wrongKey.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, edited.ExitCode);
        Assert.Contains("changed after it was signed", edited.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_DetachedJws_VerifiesWithAStandardJoseLibrary()
    {
        Assert.Equal(ExitCodes.Ok, Cli.Run(["token", "keygen", Path.Combine(_dir, "key")]).ExitCode);
        var key = Path.Combine(_dir, "key", "reviewer-key.pem");
        var json = Path.Combine(_dir, "signed.json");
        Assert.Equal(ExitCodes.Ok, Cli.Run(["report", scenario.TrailPath, .. new ReportCommandTests(scenario).Period("all"), "--output", json, "--sign", key]).ExitCode);
        var parts = File.ReadAllText(json + ".jws").Trim().Split('.');
        using var ecdsa = System.Security.Cryptography.ECDsa.Create();
        ecdsa.ImportFromPem(File.ReadAllText(key));
        var publicKey = new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false)));

        // RFC 7515 Appendix F: a detached payload is verified by putting BASE64URL(payload) back between the dots.
        var attached = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(File.ReadAllBytes(json))}.{parts[2]}";
        var result = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(attached, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            IssuerSigningKey = publicKey,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidAlgorithms = ["ES256"],
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, parts.Length);
        Assert.Empty(parts[1]);
        Assert.True(result.IsValid, result.Exception?.ToString());
    }

    /// <summary>What the HTML prints for a JSON value: ratios as percentages, missing values as a dash.</summary>
    private static string Shown(JsonNode? value, string pointer) => value switch
    {
        null => "–",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "VERIFIED" : "NOT VERIFIED — figures count only the records before the first bad one",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when pointer.EndsWith("ratio", StringComparison.Ordinal) || pointer.EndsWith("/share", StringComparison.Ordinal) || pointer.EndsWith("/completion", StringComparison.Ordinal)
            => (v.GetValue<double>() * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %",
        _ => value.ToJsonString(),
    };

    /// <summary>RFC 6901, as an auditor's tool would follow it (no escapes occur in the report's pointers).</summary>
    private static JsonNode? Resolve(JsonNode root, string pointer) =>
        pointer.Split('/').Skip(1).Aggregate((JsonNode?)root, (node, part) => node is JsonArray a ? (int.TryParse(part, out var i) && i < a.Count ? a[i] : null) : node?[part]);

    [GeneratedRegex("<td[^>]*data-json=\"(?<pointer>[^\"]+)\"[^>]*>(?<text>[^<]*)</td>")]
    private static partial Regex Cells();

    [GeneratedRegex("<(?:rect|circle)[^>]*data-json=\"(?<pointer>[^\"]+)\"")]
    private static partial Regex Marks();
}

using Pdp.Review.Generation;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// With Pdp:Audit:VerifyAfterStart the whole retained trail is verified after start, beside the writer: a change
/// below the checkpoint that start-up itself does not read is found and reported, and a sound trail says so.
/// </summary>
public sealed class BackgroundVerificationTests : IDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _trail = Path.Combine(Directory.CreateTempSubdirectory("pdp-bgverify-").FullName, "audit.jsonl");

    public void Dispose()
    {
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(Path.GetDirectoryName(_trail)!, recursive: true);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, -1)]
    public async Task VerifyAfterStart_TrailWithHistory_ReportsTheResultOfTheWholeTrail(bool tamper, int expected)
    {
        var generator = new TrailGenerator(_trail, 3_000, maxFileBytes: 256 * 1024, checkpointEvery: 1_000);
        var trail = await generator.WriteAsync(TextWriter.Null, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2));
        await trail.DisposeAsync().AsTask().WaitAsync(PdpTestServer.Timeout);
        var first = Path.Combine(Path.GetDirectoryName(_trail)!, "audit.000001.jsonl");
        if (tamper)
        {
            // One character of a stored decision changed, the size kept: start-up checks the segment's size only (the
            // checkpoint covers it), so only a full verification can see it.
            var bytes = await File.ReadAllBytesAsync(first);
            var at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf("\"decision_id\":\"", 1000, StringComparison.Ordinal) + 16;
            bytes[at] = bytes[at] == (byte)'a' ? (byte)'b' : (byte)'a';
            await File.WriteAllBytesAsync(first, bytes);
        }

        await using var server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>
        {
            ["Pdp:Audit:Path"] = _trail,
            ["Pdp:Audit:VerifyAfterStart"] = "true",
        });

        MetricsScrape scrape;
        var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            scrape = await MetricsScrape.TakeAsync(server.Admin);
        }
        while (scrape.Value("pdp_audit_background_verification_result") == 0 && DateTime.UtcNow < deadline);

        Assert.Equal(expected, scrape.Value("pdp_audit_background_verification_result"));
        if (!tamper)
        {
            Assert.True(scrape.Value("pdp_audit_background_verified_records") >= 3_000);
        }

        // The still copy is gone once verified.
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(_trail)!, ".verify-*"));
    }
}

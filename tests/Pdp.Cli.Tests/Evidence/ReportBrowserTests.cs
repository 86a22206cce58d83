using Microsoft.Playwright;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// The HTML report of the scenario's trail in real Chromium (Debian's, headless): it renders with no console error and
/// no network request (everything is in the one file), its three charts draw, and it prints to PDF. A screenshot of
/// the first page is saved as screenshots/evidence-report.png in the test output (docs/evidence-report.png is a copy).
/// </summary>
public sealed class ReportBrowserTests(EvidenceScenario scenario) : IClassFixture<EvidenceScenario>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pdp-report-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Html_InChromium_NoConsoleErrorsNoRequestsAndPrints()
    {
        var html = Path.Combine(_dir, "evidence-report.html");
        var run = Cli.Run(["report", scenario.TrailPath, .. new ReportCommandTests(scenario).Period("all"), "--format", "html", "--output", html]);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        await using var chromium = await HeadlessChromium.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 1400 } }).WaitAsync(HeadlessChromium.Timeout);
        var page = await context.NewPageAsync().WaitAsync(HeadlessChromium.Timeout);
        var errors = new List<string>();
        var requests = new List<string>();
        var url = new Uri(html).AbsoluteUri;
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Add($"{message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => errors.Add("page error: " + error);
        page.Request += (_, request) =>
        {
            if (request.Url != url)
            {
                requests.Add(request.Url);
            }
        };

        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 15_000 }).WaitAsync(HeadlessChromium.Timeout);
        var charts = await page.Locator("svg.chart").CountAsync().WaitAsync(HeadlessChromium.Timeout);
        var bars = await page.Locator("svg.chart rect[data-json]").CountAsync().WaitAsync(HeadlessChromium.Timeout);
        var heading = await page.Locator("h1").InnerTextAsync().WaitAsync(HeadlessChromium.Timeout);
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "evidence-report.png") }).WaitAsync(HeadlessChromium.Timeout);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print }).WaitAsync(HeadlessChromium.Timeout);
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > document.documentElement.clientWidth").WaitAsync(HeadlessChromium.Timeout);
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4", PrintBackground = true }).WaitAsync(HeadlessChromium.Timeout);

        Assert.Empty(errors);
        Assert.Empty(requests);
        Assert.Equal(3, charts);
        Assert.True(bars > 0, "no chart drew a bar");
        Assert.StartsWith("Evidence report", heading, StringComparison.Ordinal);
        Assert.False(overflow, "the printed page is wider than the paper");
        Assert.Equal("%PDF"u8.ToArray(), pdf[..4]);
    }
}

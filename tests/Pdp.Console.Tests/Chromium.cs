using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Pdp.Console.Tests.Chromium))]

namespace Pdp.Console.Tests;

/// <summary>
/// One headless Debian chromium for the whole run, driven by Playwright. Never downloads a browser: a missing
/// /usr/bin/chromium fails every browser test with a message saying how to install it (it does not skip them).
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("chromium did not start");

    /// <summary>Where the run's screenshots go: the test output directory.</summary>
    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does). The console's browser tests never download a browser.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync().WaitAsync(ConsoleServer.Timeout);
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Flags,
            Timeout = 30_000,
        }).WaitAsync(ConsoleServer.Timeout);
    }

    /// <summary>A browser context signed in as <paramref name="token"/>'s reviewer the way a proxy would: the header on every request.</summary>
    public async Task<IBrowserContext> ContextAsync(string baseUrl, string? token)
    {
        var options = new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1200, Height = 900 } };
        if (token is not null)
        {
            options.ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" };
        }

        var context = await Browser.NewContextAsync(options).WaitAsync(ConsoleServer.Timeout);
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(15_000);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync().WaitAsync(ConsoleServer.Timeout);
        }

        _playwright?.Dispose();
    }
}

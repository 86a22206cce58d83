using Microsoft.Playwright;

namespace Pdp.TestSupport;

/// <summary>
/// Debian's chromium (/usr/bin/chromium), headless, driven by Playwright: shared by the console's browser tests and the
/// evidence report's. Never downloads a browser: a missing /usr/bin/chromium fails with a message saying how to
/// install it (it does not skip). A test project using it references Microsoft.Playwright itself, which copies the
/// Playwright driver beside its tests (this library keeps the driver to itself).
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does). The browser tests never download a browser.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync().WaitAsync(Timeout);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Flags,
                Timeout = 30_000,
            }).WaitAsync(Timeout);
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync().WaitAsync(Timeout);
        _playwright.Dispose();
    }
}

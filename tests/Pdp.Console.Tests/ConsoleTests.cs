using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pdp.Audit;
using Pdp.Contracts.V1;
using static Microsoft.Playwright.Assertions;

namespace Pdp.Console.Tests;

/// <summary>
/// The reviewer console in real Chromium over a real server: sign in with a token, the queue, a decision page,
/// approve / reject / modify, four eyes, live updates, refusals as sentences, and the security properties (XSS stays
/// text, cross-site posts are refused). Run on the local store here and on PostgreSQL in <see cref="PostgresConsoleTests"/>.
/// </summary>
public class ConsoleTests(Chromium chromium) : IAsyncLifetime
{
    private readonly string _policies = ConsoleServer.CreatePolicies();
    private readonly string _keys = Directory.CreateTempSubdirectory("pdp-console-keys-").FullName;
    private readonly List<IBrowserContext> _contexts = [];

    protected ConsoleServer Server { get; private set; } = null!;

    protected Chromium Chromium => chromium;

    protected string Keys => _keys;

    protected string Policies => _policies;

    public async ValueTask InitializeAsync() => Server = await ConsoleServer.StartAsync(_policies, _keys, await StoreSettingsAsync());

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync().WaitAsync(ConsoleServer.Timeout);
        }

        await Server.DisposeAsync();
        await DisposeStoreAsync();
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(_keys, recursive: true);
    }

    [Fact]
    public async Task Console_SignedInReviewer_SeesQueueOpensDecisionAndApproves()
    {
        var id = await Server.RequireHumanAsync();
        var token = Server.Token("rita");
        var page = await PageAsync("rita", token);

        await page.GotoAsync("/");
        await Expect(page.Locator("#reviewer")).ToHaveTextAsync("rita");
        var row = page.Locator($"tr[data-decision-id='{id}']");
        await Expect(row).ToContainTextAsync("payments.refund");
        await Expect(row).ToContainTextAsync("0 of 1");
        await Expect(page.Locator("#live")).ToHaveTextAsync(new Regex("^Live"));
        await ScreenshotAsync(page, "console-queue.png");

        await row.Locator("a").ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync("payments.refund");
        await Expect(page.Locator("#rationale")).ToHaveTextAsync("Customer asked for a refund of a duplicate charge.");
        var text = await page.Locator("main").InnerTextAsync();
        foreach (var shown in new[] { "account acct-1001", "0.82", "64", ConsoleServer.Agent, "gpt-test", "2025-01", ConsoleServer.Principal, "refunds above 100 EUR need a human", "payments-controls@example.com", "NIST-AI-RMF:GOVERN-1.2", "ISO-42001:A.9.2", "0 of 1 approval" })
        {
            Assert.Contains(shown, text, StringComparison.Ordinal);
        }

        var stored = await Server.GetAsync(id);
        await Expect(page.Locator("#digest")).ToHaveTextAsync(stored.ActionDigest);

        // The redacted card number never reaches the page, nor does the token.
        Assert.DoesNotContain("4111111111111111", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("#stamp-notice")).ToHaveClassAsync(new Regex("warn"));
        await Expect(page.Locator("#stamp-notice")).ToContainTextAsync("will be flagged as a rubber stamp");
        await ScreenshotAsync(page, "console-decision.png");

        await page.Locator("#approve").ClickAsync();

        await Expect(page.Locator("#state")).ToHaveTextAsync("Settled: approved");
        await Expect(page.Locator("#message")).ToContainTextAsync("Your disposition was recorded: approved");
        await Expect(page.Locator("#decide")).ToHaveCountAsync(0);
        Assert.Equal(ReviewStatus.Approved, (await Server.GetAsync(id)).ReviewStatus);
        var disposition = Disposition(id);
        Assert.Equal("rita", disposition["reviewer"]!.GetValue<string>());
        Assert.Equal(ConsoleServer.Issuer, disposition["reviewer_issuer"]!.GetValue<string>());

        // Flagged when approved within MinSeconds of the page first showing it. The steps above usually take under a
        // second, but on a loaded machine they can take longer (CI saw it), so the flag is held to the recorded times.
        var shownAt = DateTimeOffset.Parse(disposition["first_shown_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var recordedAt = DateTimeOffset.Parse(disposition["recorded_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var stamped = recordedAt - shownAt < TimeSpan.FromSeconds(ConsoleServer.MinSeconds);
        Assert.Equal(stamped, disposition["rubber_stamp"]?.GetValue<bool>() ?? false);
    }

    [Fact]
    public async Task Approve_AfterMinSecondsOpen_NotFlaggedAsRubberStamp()
    {
        var id = await Server.RequireHumanAsync();
        var page = await PageAsync("rita");
        await page.GotoAsync($"/decisions/{id}");

        // MinSeconds is 3 in these tests; reloading does not restart the clock, so the notice clears in time.
        await page.ReloadAsync();
        await Expect(page.Locator("#stamp-notice")).Not.ToHaveClassAsync(new Regex("warn"), new() { Timeout = 10_000 });
        await page.Locator("#approve").ClickAsync();

        await Expect(page.Locator("#state")).ToHaveTextAsync("Settled: approved");
        Assert.Null(Disposition(id)["rubber_stamp"]);
    }

    [Fact]
    public async Task Queue_AnotherReviewerSettlesOrANewReviewArrives_UpdatesWithoutReload()
    {
        var first = await Server.RequireHumanAsync(target: "acct-1");
        var sam = await PageAsync("sam");
        await sam.GotoAsync("/");
        await Expect(sam.Locator("#live")).ToHaveTextAsync(new Regex("^Live"));
        await Expect(sam.Locator($"tr[data-decision-id='{first}']")).ToHaveCountAsync(1);

        var rita = await PageAsync("rita");
        await rita.GotoAsync($"/decisions/{first}");
        await rita.Locator("#approve").ClickAsync();
        await Expect(rita.Locator("#state")).ToHaveTextAsync("Settled: approved");

        await Expect(sam.Locator($"tr[data-decision-id='{first}']")).ToHaveCountAsync(0);
        await Expect(sam.Locator("tr.empty")).ToBeVisibleAsync();

        var second = await Server.RequireHumanAsync(target: "acct-2");
        await Expect(sam.Locator($"tr[data-decision-id='{second}']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Approve_FourEyes_SettlesOnlyWithTheSecondDistinctReviewer()
    {
        var id = await Server.RequireHumanAsync(approvals: 2);
        var rita = await PageAsync("rita");
        await rita.GotoAsync($"/decisions/{id}");
        await Expect(rita.Locator("#modify")).ToHaveCountAsync(0);
        await rita.Locator("#approve").ClickAsync();
        await Expect(rita.Locator("#progress")).ToHaveTextAsync("1 of 2 approvals: approved by rita.");
        await Expect(rita.Locator("#state")).ToHaveTextAsync("Pending review");

        await rita.Locator("#approve").ClickAsync();
        await Expect(rita.Locator("#message")).ToContainTextAsync("You have already approved this decision");
        await Expect(rita.Locator("#message")).ToContainTextAsync("Nothing was recorded.");

        var sam = await PageAsync("sam");
        await sam.GotoAsync($"/decisions/{id}");
        await Expect(sam.Locator("#progress")).ToHaveTextAsync("1 of 2 approvals: approved by rita.");
        await sam.Locator("#approve").ClickAsync();

        await Expect(sam.Locator("#state")).ToHaveTextAsync("Settled: approved");
        await Expect(sam.Locator("#progress")).ToHaveTextAsync("2 of 2 approvals: approved by rita, sam.");
        Assert.Equal(ReviewStatus.Approved, (await Server.GetAsync(id)).ReviewStatus);
    }

    [Fact]
    public async Task Reject_WithoutJustification_StoppedInThePageThenRecordedWithIt()
    {
        var id = await Server.RequireHumanAsync();
        var page = await PageAsync("rita");
        await page.GotoAsync($"/decisions/{id}");

        await page.Locator("#reject").ClickAsync();
        await Expect(page.Locator("#form-error")).ToHaveTextAsync("Write a justification: it is required to reject or modify an action.");
        Assert.Equal(ReviewStatus.Pending, (await Server.GetAsync(id)).ReviewStatus);

        await page.Locator("#justification").FillAsync("Duplicate charge was already refunded last week.");
        await page.Locator("#reject").ClickAsync();

        await Expect(page.Locator("#state")).ToHaveTextAsync("Settled: rejected");
        await Expect(page.Locator("ul.dispositions")).ToContainTextAsync("Duplicate charge was already refunded last week.");
        var stored = await Server.GetAsync(id);
        Assert.Equal(ReviewStatus.Rejected, stored.ReviewStatus);
        Assert.Equal("Duplicate charge was already refunded last week.", stored.Dispositions.Single().Justification);
    }

    [Fact]
    public async Task Modify_InvalidJsonCheckedInPageAndOnServer_ValidRecordedAsModified()
    {
        var id = await Server.RequireHumanAsync();
        var page = await PageAsync("rita");
        await page.GotoAsync($"/decisions/{id}");
        await page.Locator("#justification").FillAsync("Refund only the duplicate part.");
        await page.Locator("#new-parameters").FillAsync("{ amount: 60 ");
        await page.Locator("#modify").ClickAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("The parameters are not valid JSON");

        // Past the page's check (a hand-made submit): the server checks again and says why.
        await page.EvaluateAsync("() => { const f = document.getElementById('decide'); const o = document.createElement('input'); o.type = 'hidden'; o.name = 'outcome'; o.value = 'modified'; f.appendChild(o); f.submit(); }");
        await Expect(page.Locator("#message")).ToContainTextAsync("The parameters are not valid JSON");
        await Expect(page.Locator("#message")).ToContainTextAsync("Nothing was recorded.");
        Assert.Equal(ReviewStatus.Pending, (await Server.GetAsync(id)).ReviewStatus);

        await page.Locator("#new-parameters").FillAsync("""{ "amount": 60, "currency": "EUR" }""");
        await page.Locator("#modify").ClickAsync();

        await Expect(page.Locator("#state")).ToHaveTextAsync("Settled: modified");
        var stored = await Server.GetAsync(id);
        Assert.Equal(ReviewStatus.Modified, stored.ReviewStatus);
        Assert.Equal(60, stored.Dispositions.Single().Parameters.Fields["amount"].NumberValue);
    }

    [Fact]
    public async Task Decision_RationaleWithScriptAndMarkup_StaysInertText()
    {
        const string Hostile = """<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>""";
        var id = await Server.RequireHumanAsync(rationale: Hostile);
        var page = await PageAsync("rita");
        var answer = await page.GotoAsync($"/decisions/{id}");

        await Expect(page.Locator("#rationale")).ToHaveTextAsync(Hostile);
        Assert.Equal(0, await page.Locator("#rationale script, #rationale img, #rationale b").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        var csp = answer!.Headers["content-security-policy"];
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_CrossSiteFormWithoutAntiforgeryToken_RefusedAndNothingRecorded()
    {
        var id = await Server.RequireHumanAsync();
        var page = await PageAsync("rita");

        // Another origin (about:blank) posts a form straight at the console; the browser even adds the reviewer's token.
        await page.GotoAsync("about:blank");
        await page.SetContentAsync($"""<form id="evil" method="post" action="{Server.ConsoleUrl}/decisions/{id}"><input name="outcome" value="approved"><input name="justification" value="x"></form>""");
        var answer = await page.RunAndWaitForResponseAsync(
            () => page.EvaluateAsync("() => document.getElementById('evil').submit()"),
            r => r.Request.Method == "POST" && r.Url.Contains("/decisions/", StringComparison.Ordinal));

        Assert.Equal(400, answer.Status);
        await Expect(page.Locator("#message")).ToContainTextAsync("anti-forgery token is missing or wrong");
        Assert.Equal(ReviewStatus.Pending, (await Server.GetAsync(id)).ReviewStatus);
    }

    [Theory]
    [InlineData(ConsoleServer.Principal, "You cannot approve your own request")]
    [InlineData("oscar", "You are not in the approver group 'reviewers'")]
    public async Task Approve_RefusedByTheRules_ShownAsAPlainSentence(string reviewer, string says)
    {
        var id = await Server.RequireHumanAsync();
        var page = await PageAsync(reviewer);
        await page.GotoAsync($"/decisions/{id}");

        await page.Locator("#approve").ClickAsync();

        await Expect(page.Locator("#message")).ToContainTextAsync(says);
        await Expect(page.Locator("#message")).ToContainTextAsync("Nothing was recorded.");
        Assert.Equal(ReviewStatus.Pending, (await Server.GetAsync(id)).ReviewStatus);
    }

    [Fact]
    public async Task Approve_SettledOrExpiredMeanwhile_ShownAsAPlainSentence()
    {
        var expiring = await Server.RequireHumanAsync(target: "acct-expiring", ttl: "4s");
        var late = await PageAsync("rita");
        await late.GotoAsync($"/decisions/{expiring}");
        var settled = await Server.RequireHumanAsync(target: "acct-settled");
        var rita = await PageAsync("rita");
        var sam = await PageAsync("sam");
        await rita.GotoAsync($"/decisions/{settled}");
        await sam.GotoAsync($"/decisions/{settled}");
        await sam.Locator("#approve").ClickAsync();
        await Expect(sam.Locator("#state")).ToHaveTextAsync("Settled: approved");

        await rita.Locator("#approve").ClickAsync();
        await Expect(rita.Locator("#message")).ToContainTextAsync("This review was already settled before your decision arrived (approved).");

        await Expect(late.Locator("#time-left")).ToHaveTextAsync("expired", new() { Timeout = 10_000 });
        await late.Locator("#approve").ClickAsync();
        await Expect(late.Locator("#message")).ToContainTextAsync("This review has expired");
        Assert.Equal(ReviewStatus.Expired, (await Server.GetAsync(expiring)).ReviewStatus);
    }

    [Fact]
    public async Task Escalation_ReviewPendingPastItsPoint_PageSaysSoAndTheEscalationGroupApproves()
    {
        var id = await Server.RequireHumanAsync(target: "acct-escalating", ttl: "60s", escalateTo: "others");
        var before = await PageAsync("oscar");
        await before.GotoAsync($"/decisions/{id}");
        await Expect(before.Locator("#escalation")).ToContainTextAsync("to others if still pending");

        // Escalated at a tenth of its window (the console server's Pdp:Review:EscalateAt 0.1): wait for it on the
        // record, then open it as the group with most of the minute left.
        var deadline = DateTime.UtcNow + ConsoleServer.Timeout;
        while ((await Server.GetAsync(id)).EscalatedAt is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the review was not escalated");
            await Task.Delay(200);
        }

        var oscar = await PageAsync("oscar");
        await oscar.GotoAsync($"/decisions/{id}");
        await Expect(oscar.Locator("#escalation")).ToContainTextAsync("escalated to others at");
        await oscar.Locator("#approve").ClickAsync();

        await Expect(oscar.Locator("#state")).ToHaveTextAsync("Settled: approved");
        Assert.Equal(ReviewStatus.Approved, (await Server.GetAsync(id)).ReviewStatus);
    }

    [Fact]
    public async Task Console_NoTokenOrOnlyAUserHeader_401AndNothingShown()
    {
        var id = await Server.RequireHumanAsync();
        var context = await Chromium.ContextAsync(Server.ConsoleUrl, token: null);
        _contexts.Add(context);
        await context.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["X-Forwarded-User"] = "rita", ["X-Forwarded-Email"] = "rita" });
        var page = await context.NewPageAsync();

        var answer = await page.GotoAsync($"/decisions/{id}");

        Assert.Equal(401, answer!.Status);
        await Expect(page.Locator("#message")).ToContainTextAsync("needs a valid reviewer token");
        Assert.DoesNotContain("payments.refund", await page.ContentAsync(), StringComparison.Ordinal);
    }

    protected virtual Task<IReadOnlyDictionary<string, string?>> StoreSettingsAsync() => Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    protected async Task<IPage> PageAsync(string reviewer, string? token = null, ConsoleServer? server = null)
    {
        server ??= Server;
        var context = await Chromium.ContextAsync(server.ConsoleUrl, token ?? server.Token(reviewer));
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    private System.Text.Json.Nodes.JsonObject Disposition(string decisionId) =>
        AuditTrailReader.Read(Server.AuditPath).Last(r => r.Type == "disposition" && r.Payload["decision_id"]?.GetValue<string>() == decisionId).Payload;

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Chromium.ScreenshotDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotDir, name), FullPage = true });
    }
}

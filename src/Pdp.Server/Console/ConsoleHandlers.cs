using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pdp.Audit.Redaction;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Pdp.Server.Configuration;
using Pdp.Server.Policies;
using Pdp.Server.Reviews;

namespace Pdp.Server.Console;

/// <summary>The console's pages and its one state-changing request, for a reviewer already signed in.</summary>
public sealed class ConsoleHandlers(IReviewStore store, ReviewService reviews, PolicyStore policies, ShownPages shown, QueueStreams streams, IAntiforgery antiforgery, IOptions<PdpOptions> options, IHostApplicationLifetime lifetime, TimeProvider time)
{
    /// <summary>A disposition form is a few KB; the bound leaves room for edited parameters.</summary>
    public const int MaxFormBytes = 64 * 1024;

    private const int MaxParameterDepth = 32;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    private readonly ConsoleOptions _console = options.Value.Console;
    private readonly int _minSeconds = options.Value.Review.MinSeconds;

    public async Task QueueAsync(HttpContext context, ConsoleReviewer reviewer)
    {
        using var timeout = Timeout(context);
        var queue = await store.PendingAsync(reviewer.Groups, _console.QueueLimit, timeout.Token).ConfigureAwait(false);
        await WriteHtmlAsync(context, StatusCodes.Status200OK, QueuePage.Render(reviewer, queue, time.GetUtcNow(), _console.QueueLimit)).ConfigureAwait(false);
    }

    public async Task RowsAsync(HttpContext context, ConsoleReviewer reviewer)
    {
        using var timeout = Timeout(context);
        var queue = await store.PendingAsync(reviewer.Groups, _console.QueueLimit, timeout.Token).ConfigureAwait(false);
        await WriteHtmlAsync(context, StatusCodes.Status200OK, QueuePage.RenderRows(queue, time.GetUtcNow(), _console.QueueLimit)).ConfigureAwait(false);
    }

    /// <summary>
    /// Server-sent events: <c>event: queue</c> whenever a review arrives or changes anywhere in the store (the page
    /// then re-reads its rows), a comment every 15 s so dead connections are noticed, and the end at shutdown.
    /// </summary>
    public async Task EventsAsync(HttpContext context, ConsoleReviewer reviewer)
    {
        using var stream = streams.TryOpen();
        if (stream is null)
        {
            context.Response.Headers.RetryAfter = "5";
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Busy", "Too many live queues are open; the page retries by itself.").ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        try
        {
            await SendAsync(context, "retry: 2000\nevent: ready\ndata: ok\n\n", stop.Token).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                var changed = await stream.WaitAsync(Heartbeat, stop.Token).ConfigureAwait(false);
                await SendAsync(context, changed ? "event: queue\ndata: changed\n\n" : ": heartbeat\n\n", stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The browser went away or the server is stopping; EventSource reconnects to another instance or later.
        }
    }

    public async Task DecisionAsync(HttpContext context, ConsoleReviewer reviewer, string decisionId)
    {
        using var timeout = Timeout(context);
        ReviewView view;
        try
        {
            view = await reviews.FindAsync(decisionId, timeout.Token).ConfigureAwait(false);
        }
        catch (ReviewRefusedException)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, "Unknown decision", "No decision with this id is known here.").ConfigureAwait(false);
            return;
        }

        string? message = null;
        if (context.Request.Query.ContainsKey("recorded")
            && view.Review.Dispositions.LastOrDefault(d => string.Equals(d.Reviewer, reviewer.Name, StringComparison.OrdinalIgnoreCase)) is { } mine)
        {
            // Said from the record, not from the query string: the page never echoes what the URL claims.
            message = $"Your disposition was recorded: {mine.Outcome.ToText()} at {mine.RecordedAt:u}.";
        }

        await RenderDecisionAsync(context, reviewer, view, StatusCodes.Status200OK, message, refused: false, justification: string.Empty, parameters: null).ConfigureAwait(false);
    }

    /// <summary>Records a disposition from the decision page's form: anti-forgery first, then the review rules.</summary>
    public async Task DisposeAsync(HttpContext context, ConsoleReviewer reviewer, string decisionId)
    {
        using var timeout = Timeout(context);
        if (context.Request.ContentLength > MaxFormBytes)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Too large", "The form is larger than a disposition can be; nothing was recorded.").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }

        try
        {
            await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, "Refused", "This request did not come from a decision page of this console (its anti-forgery token is missing or wrong), so nothing was recorded. Open the decision in the console and decide there.").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(timeout.Token).ConfigureAwait(false);
        var justification = form["justification"].ToString();
        var parametersText = form["parameters"].ToString();
        ReviewView view;
        try
        {
            view = await reviews.FindAsync(decisionId, timeout.Token).ConfigureAwait(false);
        }
        catch (ReviewRefusedException)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, "Unknown decision", "No decision with this id is known here; nothing was recorded.").ConfigureAwait(false);
            return;
        }

        var outcome = form["outcome"].ToString() switch
        {
            "approved" => ReviewOutcome.Approved,
            "rejected" => ReviewOutcome.Rejected,
            "modified" => ReviewOutcome.Modified,
            _ => (ReviewOutcome?)null,
        };
        JsonObject? parameters = null;
        var problem = outcome is null ? "Choose Approve, Reject or Modify; nothing was recorded." : null;
        if (outcome == ReviewOutcome.Modified && !TryParameters(parametersText, out parameters, out problem))
        {
            problem += " Nothing was recorded.";
        }

        if (problem is not null)
        {
            await RenderDecisionAsync(context, reviewer, view, StatusCodes.Status400BadRequest, problem, refused: true, justification, parametersText).ConfigureAwait(false);
            return;
        }

        // From when this instance first showed the page to this reviewer; a form it never showed counts from now.
        var firstShown = shown.Find(reviewer.Name, decisionId) ?? shown.Shown(reviewer.Name, decisionId);
        var command = new DispositionCommand(decisionId, reviewer.Name, outcome, justification.Trim(), parameters, RecordingCaller.ReviewerConsole, new ReviewerProof(reviewer.Verified.Issuer, reviewer.Verified.Subject, reviewer.Verified.Groups), firstShown);
        try
        {
            await reviews.RecordAsync(command, timeout.Token).ConfigureAwait(false);
        }
        catch (ReviewRefusedException refusal)
        {
            var status = refusal.Kind switch
            {
                RefusalKind.PermissionDenied => StatusCodes.Status403Forbidden,
                RefusalKind.NotFound => StatusCodes.Status404NotFound,
                RefusalKind.InvalidArgument => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status409Conflict,
            };
            var current = await reviews.FindAsync(decisionId, timeout.Token).ConfigureAwait(false);
            await RenderDecisionAsync(context, reviewer, current, status, RefusalText.For(refusal, reviewer.Name, view.Decision.ApproverGroup), refused: true, justification, parametersText).ConfigureAwait(false);
            return;
        }
        catch (ReviewStoreUnavailableException)
        {
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Try again", "The review store cannot be reached right now, so nothing was recorded. Try again in a moment.").ConfigureAwait(false);
            return;
        }

        // Post/redirect/get: a reload of the result does not send the disposition again.
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = DecisionPath(decisionId) + "?recorded=1";
    }

    /// <summary>A short page with one sentence, for errors outside a decision page.</summary>
    public static Task WriteAsync(HttpContext context, int status, string title, string sentence)
    {
        ArgumentNullException.ThrowIfNull(context);
        var page = Html.Page(title, "message", null, DateTimeOffset.UtcNow, html => html.Raw("<h1>").Text(title).Raw("</h1><p id=\"message\" class=\"refusal\" role=\"alert\">").Text(sentence).Raw("</p><p><a href=\"/\">Back to the queue</a></p>"));
        return WriteHtmlAsync(context, status, page);
    }

    private static string DecisionPath(string decisionId) => ConsoleEndpoints.DecisionPath(decisionId);

    private static async Task WriteHtmlAsync(HttpContext context, int status, string page)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(WriteTimeout);
        await context.Response.WriteAsync(page, Encoding.UTF8, timeout.Token).ConfigureAwait(false);
    }

    private static async Task SendAsync(HttpContext context, string text, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WriteTimeout);
        await context.Response.WriteAsync(text, Encoding.UTF8, timeout.Token).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>The reviewer's edited parameters: a JSON object, not too deep, with no redaction mask left in it.</summary>
    private static bool TryParameters(string text, out JsonObject? parameters, out string? problem)
    {
        parameters = null;
        try
        {
            parameters = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxParameterDepth }) as JsonObject;
        }
        catch (JsonException e)
        {
            problem = $"The parameters are not valid JSON ({e.Message}).";
            return false;
        }

        problem = parameters switch
        {
            null => "The parameters must be a JSON object, such as {\"amount\": 10}.",
            { Count: 0 } => "The parameters must not be empty: a modified action carries its parameters as you changed them.",
            _ when ContainsMask(parameters) => $"The parameters still contain a redacted value ({AuditRedactor.MaskValue}); enter the real value or remove the field.",
            _ => null,
        };
        return problem is null;
    }

    private static bool ContainsMask(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => ContainsMask(p.Value)),
        JsonArray a => a.Any(ContainsMask),
        JsonValue v => v.TryGetValue<string>(out var s) && s == AuditRedactor.MaskValue,
        _ => false,
    };

    private static CancellationTokenSource Timeout(HttpContext context)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(RequestTimeout);
        return timeout;
    }

    private async Task RenderDecisionAsync(HttpContext context, ConsoleReviewer reviewer, ReviewView view, int status, string? message, bool refused, string justification, string? parameters)
    {
        var facts = view.Decision;
        var shownAt = shown.Shown(reviewer.Name, facts.DecisionId);
        var tokens = antiforgery.GetAndStoreTokens(context);
        var frameworks = facts.Reasons.Select(r => r.PolicyId).Append(facts.PolicyId).Distinct(StringComparer.Ordinal)
            .SelectMany(id => policies.Current?.PolicySet.Find(id)?.Metadata.Frameworks ?? [])
            .Distinct(StringComparer.Ordinal).ToList();
        var state = new DecisionPageState(shownAt, _minSeconds, frameworks, tokens.FormFieldName, tokens.RequestToken ?? string.Empty, message, refused, justification, parameters);
        await WriteHtmlAsync(context, status, DecisionPage.Render(reviewer, view, time.GetUtcNow(), state)).ConfigureAwait(false);
    }
}

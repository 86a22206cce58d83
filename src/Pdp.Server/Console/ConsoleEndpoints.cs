using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Pdp.Review.Store;
using Pdp.Reviewers;
using Pdp.Server.Configuration;
using Pdp.Server.Policies;
using Pdp.Server.Reviewers;

namespace Pdp.Server.Console;

/// <summary>
/// The reviewer console on its own listener (<c>Pdp:Console:Port</c>): the queue, the live queue stream, decision
/// pages and their form, and one script and one stylesheet. These paths answer on that listener only, and nothing
/// else does there. Every request is signed in by its bearer token, every response carries a Content-Security-Policy
/// without inline script, and every state-changing request needs the anti-forgery token of a page this console served.
/// </summary>
public static class ConsoleEndpoints
{
    public const string RowsPath = "/queue/rows";
    public const string EventsPath = "/events";
    public const string ScriptPath = "/assets/console.js";
    public const string StylePath = "/assets/console.css";
    public const string DecisionsPrefix = "/decisions/";

    /// <summary>
    /// Scripts, styles and connections from this origin only, never inline; no frames, plugins or foreign form targets.
    /// </summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string ListenerKey = "pdp.listener";
    private const string ListenerName = "console";
    private static readonly TimeSpan SignInTimeout = TimeSpan.FromSeconds(10);

    public static string DecisionPath(string decisionId) => DecisionsPrefix + Uri.EscapeDataString(decisionId);

    /// <summary>Registers the console's services and, when <c>Pdp:Console:Port</c> is set, its listener (HTTP/1.1).</summary>
    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder, PdpOptions settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Console.Enabled)
        {
            return builder;
        }

        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "pdp-console-af";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.FormFieldName = "__pdp_af";

            // Frames are refused by the CSP (frame-ancestors 'none'); the older header says the same to older browsers.
            antiforgery.SuppressXFrameOptionsHeader = false;
        });
        builder.Services.AddSingleton(sp => new ShownPages(sp.GetRequiredService<IOptions<PdpOptions>>().Value.Console.MaxShownPages, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new QueueStreams(sp.GetRequiredService<IReviewStore>(), sp.GetRequiredService<IOptions<PdpOptions>>().Value.Console.MaxStreams));
        builder.Services.AddSingleton<ConsoleHandlers>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = IPAddress.TryParse(settings.ListenAddress, out var parsed) ? parsed : IPAddress.Loopback;
            kestrel.Listen(address, settings.Console.Port ?? 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection =>
                {
                    connection.Items[ListenerKey] = ListenerName;
                    return next(connection);
                });
            });
        });
        return builder;
    }

    /// <summary>Serves the console on its listener; the other listeners never see it.</summary>
    public static WebApplication MapConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<PdpOptions>>().Value.Console.Enabled)
        {
            return app;
        }

        var handlers = app.Services.GetRequiredService<ConsoleHandlers>();
        app.Use((context, next) => OnConsoleListener(context) ? ServeAsync(context, handlers) : next(context));
        return app;
    }

    private static bool OnConsoleListener(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var name) == true
        && Equals(name, ListenerName);

    /// <summary>
    /// Routes the console's few paths itself (endpoint routing would hand unknown ones to the gRPC catch-all), after
    /// the security headers are set and the reviewer is signed in.
    /// </summary>
    private static async Task ServeAsync(HttpContext context, ConsoleHandlers handlers)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";

        var path = context.Request.Path.Value ?? "/";
        var get = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        var post = HttpMethods.IsPost(context.Request.Method);
        var decisionId = path.StartsWith(DecisionsPrefix, StringComparison.Ordinal) ? path[DecisionsPrefix.Length..] : null;
        Func<HttpContext, ConsoleReviewer, Task>? handler = (path, decisionId) switch
        {
            ("/", _) when get => handlers.QueueAsync,
            (RowsPath, _) when get => handlers.RowsAsync,
            (EventsPath, _) when get => handlers.EventsAsync,
            (ScriptPath, _) when get => (c, _) => ConsoleAssets.WriteAsync(c, ConsoleAssets.Script),
            (StylePath, _) when get => (c, _) => ConsoleAssets.WriteAsync(c, ConsoleAssets.Style),
            (_, { Length: > 0 } id) when get => (c, r) => handlers.DecisionAsync(c, r, id),
            (_, { Length: > 0 } id) when post => (c, r) => handlers.DisposeAsync(c, r, id),
            _ => null,
        };
        if (handler is null)
        {
            var known = path is "/" or RowsPath or EventsPath or ScriptPath or StylePath || decisionId is { Length: > 0 };
            await ConsoleHandlers.WriteAsync(context, known ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound, "Not here", known ? "This page does not take that kind of request." : "There is no such page in the reviewer console.").ConfigureAwait(false);
            return;
        }

        ConsoleReviewer reviewer;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(SignInTimeout);
            reviewer = await ConsoleReviewer.SignInAsync(context, context.RequestServices.GetRequiredService<ReviewerAuthentication>(), context.RequestServices.GetRequiredService<PolicyStore>(), timeout.Token).ConfigureAwait(false);
        }
        catch (ReviewerTokenException e)
        {
            // The reason says what was wrong with the token (expired, wrong audience…), never the token itself.
            headers.WWWAuthenticate = "Bearer";
            await ConsoleHandlers.WriteAsync(context, StatusCodes.Status401Unauthorized, "Sign in", $"The console needs a valid reviewer token in the Authorization header (normally added by the sign-in proxy in front of it): {e.Message}").ConfigureAwait(false);
            return;
        }

        await handler(context, reviewer).ConfigureAwait(false);
    }
}

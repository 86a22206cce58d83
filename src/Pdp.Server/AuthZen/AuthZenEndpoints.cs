using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;
using Pdp.Server.Decisions;
using Pdp.Server.Errors;
using Pdp.Server.Identity;

namespace Pdp.Server.AuthZen;

/// <summary>
/// The HTTPS JSON binding of the OpenID AuthZEN Authorization API 1.0 on its own listener
/// (<c>Pdp:AuthZen:Port</c>): <c>POST /access/v1/evaluation</c>, <c>POST /access/v1/evaluations</c> and the PDP
/// metadata at <c>GET /.well-known/authzen-configuration</c>. These paths answer on that listener only, and
/// nothing else does (no gRPC, no admin endpoints there).
/// </summary>
/// <remarks>
/// The listener is cleartext TCP on <c>Pdp:ListenAddress</c> (loopback by default), so its callers are
/// <c>{ authenticated: false, transport: "tcp", address }</c> to policies, exactly as on the plaintext gRPC port:
/// a PEP that needs a verified identity calls <c>Decide</c> over mTLS or the Unix socket instead.
/// </remarks>
public static class AuthZenEndpoints
{
    public const string EvaluationPath = "/access/v1/evaluation";
    public const string EvaluationsPath = "/access/v1/evaluations";
    public const string MetadataPath = "/.well-known/authzen-configuration";
    public const string RequestIdHeader = "X-Request-ID";

    private const string ListenerKey = "pdp.listener";
    private const string ListenerName = "authzen";
    private const string JsonContentType = "application/json";

    /// <summary>Answers are application/json, never embedded in HTML: no need to escape quotes and the like.</summary>
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The listener's endpoints: each path with the one method it takes. Anything else there is a 404 or 405.</summary>
    private static readonly (string Path, string Method, RequestDelegate Handler)[] Routes =
    [
        (EvaluationPath, HttpMethods.Post, EvaluationAsync),
        (EvaluationsPath, HttpMethods.Post, EvaluationsAsync),
        (MetadataPath, HttpMethods.Get, WriteMetadataAsync),
    ];

    /// <summary>Registers the evaluator and, when enabled, the AuthZEN listener (HTTP/1.1, or HTTP/2 with prior knowledge).</summary>
    public static WebApplicationBuilder AddAuthZen(this WebApplicationBuilder builder, PdpOptions settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        builder.Services.AddSingleton<AuthZenEvaluator>();
        if (!settings.AuthZen.IsServed)
        {
            return builder;
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = IPAddress.TryParse(settings.ListenAddress, out var parsed) ? parsed : IPAddress.Loopback;
            kestrel.Listen(address, settings.AuthZen.ListenPort, listen =>
            {
                // An invalid value stops the start in validation; Http1 only stands in until then.
                listen.Protocols = settings.AuthZen.KestrelProtocols ?? HttpProtocols.Http1;

                // Each connection says which listener accepted it, whatever port the OS gave (port 0).
                listen.Use(next => connection =>
                {
                    connection.Items[ListenerKey] = ListenerName;
                    return next(connection);
                });
            });
        });
        return builder;
    }

    /// <summary>Maps the AuthZEN endpoints, and keeps them and the rest of the server on their own listeners.</summary>
    public static WebApplication MapAuthZen(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<PdpOptions>>().Value.AuthZen.IsServed)
        {
            return app;
        }

        app.Use((context, next) =>
        {
            if (!OnAuthZenListener(context))
            {
                // The other listeners keep their own answers; AuthZEN's paths simply are not there.
                if (IsAuthZenPath(context.Request.Path))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            }

            // Every answer of this listener echoes the request id, routing errors included (the spec's MUST), so it
            // is set before anything can answer, and the listener routes its few paths itself: endpoint routing would
            // answer an unknown path or method with an empty body, or hand it to the gRPC catch-all.
            EchoRequestId(context);
            var route = Array.Find(Routes, r => string.Equals(r.Path, context.Request.Path.Value, StringComparison.OrdinalIgnoreCase));
            if (route.Handler is null)
            {
                return WriteFailureAsync(context, new AuthZenRequestException(StatusCodes.Status404NotFound, "path", $"{context.Request.Path} is not served here (AuthZEN endpoints: {string.Join(", ", Routes.Select(r => $"{r.Method} {r.Path}"))})"));
            }

            if (!string.Equals(route.Method, context.Request.Method, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.Allow = route.Method;
                return WriteFailureAsync(context, new AuthZenRequestException(StatusCodes.Status405MethodNotAllowed, "method", $"{context.Request.Method} is not allowed on {route.Path}; use {route.Method}"));
            }

            return next(context);
        });
        foreach (var (path, method, handler) in Routes)
        {
            app.MapMethods(path, [method], handler);
        }

        return app;
    }

    private static Task EvaluationAsync(HttpContext context) => HandleAsync(context, Single);

    private static Task EvaluationsAsync(HttpContext context) => HandleAsync(context, Many);

    private static Task<JsonObject> Single(AuthZenEvaluator evaluator, JsonObject body, CallerIdentity caller, string? requestId, CancellationToken cancellationToken) =>
        evaluator.EvaluateAsync(body, caller, requestId, cancellationToken);

    private static Task<JsonObject> Many(AuthZenEvaluator evaluator, JsonObject body, CallerIdentity caller, string? requestId, CancellationToken cancellationToken) =>
        evaluator.EvaluateManyAsync(body, caller, requestId, cancellationToken);

    private static async Task HandleAsync(HttpContext context, Func<AuthZenEvaluator, JsonObject, CallerIdentity, string?, CancellationToken, Task<JsonObject>> evaluate)
    {
        var requestId = EchoRequestId(context);
        var services = context.RequestServices;
        try
        {
            if (requestId is { Length: > DecisionInputBuilder.MaxIdLength })
            {
                throw AuthZenRequestException.BadRequest(RequestIdHeader, $"is longer than {DecisionInputBuilder.MaxIdLength} characters");
            }

            // The binding: "Requests MUST include a Content-Type header with the value application/json".
            if (!AuthZenJson.IsJson(context.Request.ContentType))
            {
                throw new AuthZenRequestException(StatusCodes.Status415UnsupportedMediaType, "Content-Type", $"must be {JsonContentType}");
            }

            var limit = services.GetRequiredService<IOptions<PdpOptions>>().Value.AuthZen.MaxRequestBytes;
            var body = AuthZenJson.ParseObject(await AuthZenJson.ReadBodyAsync(context, limit).ConfigureAwait(false));
            var answer = await evaluate(services.GetRequiredService<AuthZenEvaluator>(), body, CallerOf(context), requestId, context.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(context, StatusCodes.Status200OK, answer).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The PEP went away; there is nobody to answer.
        }
        catch (Exception e)
        {
            await WriteFailureAsync(context, e).ConfigureAwait(false);
        }
    }

    /// <summary>Answers a request that was not decided: the status from <see cref="AuthZenEvaluator.Failure"/>, and the listener's JSON error.</summary>
    private static Task WriteFailureAsync(HttpContext context, Exception exception)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<AuthZenEvaluator>>();
        var method = $"{context.Request.Method} {context.Request.Path}";
        var (status, message) = AuthZenEvaluator.Failure(exception, logger, method);
        var field = exception switch
        {
            AuthZenRequestException request => request.Field,
            RequestValidationException validation => validation.Field,
            _ => null,
        };
        var error = new JsonObject { ["status"] = status, ["message"] = message };
        if (field is not null)
        {
            error["field"] = field;
        }

        if (status < StatusCodes.Status500InternalServerError)
        {
            Logging.ServerLog.CallRefused(logger, method, status.ToString(System.Globalization.CultureInfo.InvariantCulture), message);
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            // A HEAD answer has no body; the status and headers say it all.
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        return WriteJsonAsync(context, status, new JsonObject { ["error"] = error });
    }

    /// <summary>
    /// The PDP metadata (spec section "Policy Decision Point Metadata"): the identifier and the two endpoints Pdp
    /// serves. The search endpoints are not served, so they are omitted, as are capabilities (none registered).
    /// </summary>
    private static Task WriteMetadataAsync(HttpContext context)
    {
        EchoRequestId(context);
        var configured = context.RequestServices.GetRequiredService<IOptions<PdpOptions>>().Value.AuthZen.PolicyDecisionPoint;
        var identifier = configured.Length > 0 ? configured.TrimEnd('/') : $"{context.Request.Scheme}://{context.Request.Host}";
        context.Response.Headers.CacheControl = "max-age=300";
        return WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["policy_decision_point"] = identifier,
            ["access_evaluation_endpoint"] = identifier + EvaluationPath,
            ["access_evaluations_endpoint"] = identifier + EvaluationsPath,
        });
    }

    /// <summary>"If the PEP specified a request identifier in the request, the PDP MUST include the same identifier in the response."</summary>
    private static string? EchoRequestId(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(RequestIdHeader, out var id) || id.Count == 0)
        {
            return null;
        }

        context.Response.Headers[RequestIdHeader] = id;
        return id.ToString();
    }

    /// <summary>The caller as the transport establishes it: this listener is cleartext TCP, so an address and nothing more.</summary>
    private static CallerIdentity CallerOf(HttpContext context) => CallerIdentity.Tcp(context.Connection.RemoteIpAddress?.ToString() ?? string.Empty);

    private static Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        return context.Response.WriteAsync(body.ToJsonString(Output), context.RequestAborted);
    }

    private static bool OnAuthZenListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var name) == true && ListenerName.Equals(name);

    private static bool IsAuthZenPath(PathString path) =>
        path.StartsWithSegments("/access/v1", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(MetadataPath, StringComparison.OrdinalIgnoreCase);
}

using Pdp.Server.Lifecycle;
using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;
using Pdp.Server.Policies;

namespace Pdp.Server.Admin;

/// <summary>Plain-HTTP endpoints for the orchestrator (liveness and readiness) and for operators (policy reload and inventory).</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Alive as long as the process answers; restarting would not fix a bad policy set.
        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));

        // Ready only with a policy revision loaded (before that every decision would be refused), and no
        // longer once a graceful stop has begun (so traffic moves elsewhere before the listeners close).
        endpoints.MapGet("/readyz", (PolicyStore store, ShutdownCoordinator shutdown) => (store.Current, shutdown.Draining) switch
        {
            (_, true) => Results.Text("not ready: draining for shutdown\n", statusCode: StatusCodes.Status503ServiceUnavailable),
            ({ } current, _) => Results.Text($"ready {current.PolicySet.Revision}\n"),
            _ => Results.Text("not ready: no policy revision loaded\n", statusCode: StatusCodes.Status503ServiceUnavailable),
        });

        MapPolicyEndpoints(endpoints);
        return endpoints;
    }

    /// <summary>
    /// <c>POST /admin/reload</c> reloads the policy directory now and says how it went (200 activated or
    /// unchanged, 422 refused with the problems, 409 when hot reload is disabled); <c>GET /admin/policies</c>
    /// lists what is serving. Both answer on the admin port only.
    /// </summary>
    private static void MapPolicyEndpoints(IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter(async (context, next) =>
            OnAdminPort(context.HttpContext) ? await next(context).ConfigureAwait(false) : Results.NotFound());

        admin.MapPost("/reload", (PolicyStore store, IOptions<PdpOptions> options) =>
        {
            if (!options.Value.Reload.Enabled)
            {
                return Results.Json(
                    new ReloadResponse("disabled", store.Current?.PolicySet.Revision, ["hot reload is disabled (Pdp:Reload:Enabled is false)"]),
                    PolicyAdminJson.Readable.ReloadResponse,
                    statusCode: StatusCodes.Status409Conflict);
            }

            var result = store.TryReload(ReloadTrigger.Admin);
            return Results.Json(
                new ReloadResponse(PolicyAdminText.Of(result.Outcome), result.Revision, result.Problems.Select(p => p.ToString()).ToArray()),
                PolicyAdminJson.Readable.ReloadResponse,
                statusCode: result.Outcome == ReloadOutcome.Refused ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK);
        });

        admin.MapGet("/policies", (PolicyStore store) =>
        {
            if (store.Current is not { } current)
            {
                return Results.Text("no policy revision loaded\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            var set = current.PolicySet;
            var status = store.Status.Current;
            var reload = new ReloadSummary(
                status.Successes,
                status.Failures,
                status.Activations,
                status.LastOutcome is { } outcome ? PolicyAdminText.Of(outcome) : null,
                status.LastTrigger is { } trigger ? PolicyAdminText.Of(trigger) : null,
                status.LastAttemptAt,
                status.LastDuration?.TotalMilliseconds,
                status.LastFailureAt,
                status.LastError);
            var policies = set.Policies.Select(p => new PolicySummary(p.Id, p.Metadata.Owner, p.File)).ToArray();
            return Results.Json(new PoliciesResponse(set.Revision, set.LoadedAt, policies, reload), PolicyAdminJson.Readable.PoliciesResponse);
        });
    }

    /// <summary>
    /// Whether the request came in on the admin listener: by its port, or when the OS chose it (port 0)
    /// by protocol, since every gRPC listener speaks HTTP/2 only and the admin listener HTTP/1.1 only
    /// (see <c>PdpServer</c>). A state-changing endpoint must not be reachable from the gRPC side.
    /// </summary>
    private static bool OnAdminPort(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<PdpOptions>>().Value;
        return options.AdminPort != 0
            ? context.Connection.LocalPort == options.AdminPort
            : !HttpProtocol.IsHttp2(context.Request.Protocol) && !HttpProtocol.IsHttp3(context.Request.Protocol);
    }
}

using Grpc.Core;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Server.Identity;

namespace Pdp.Server.Mesh;

/// <summary>
/// <c>envoy.service.auth.v3.Authorization</c> on Pdp's gRPC listeners (plaintext, mTLS, Unix socket): Envoy's
/// ext_authz filter asks here before an agent's HTTP request reaches its upstream. The caller (Envoy itself)
/// is identified by the transport, like every other caller.
/// </summary>
public sealed class EnvoyAuthorizationService(EnvoyCheckHandler handler) : Authorization.AuthorizationBase
{
    public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return handler.CheckAsync(request, CallerIdentityInterceptor.Of(context), context.CancellationToken);
    }
}

using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Pdp.Server.Metrics;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Identity;

/// <summary>
/// Establishes who is calling before any service method runs, from the transport alone: the verified
/// SVID on the mTLS listener (a missing or unacceptable one refuses the call with UNAUTHENTICATED), the
/// kernel's peer credentials on the Unix socket, or nothing but an address on plaintext TCP. The result
/// is cached per connection for a short while, since validating a chain on every call would cost more
/// than the decision itself.
/// </summary>
public sealed class CallerIdentityInterceptor(SvidSource? svids, PdpMetrics metrics, TimeProvider time) : Interceptor
{
    private const string CacheKey = "pdp.caller";
    private const string UserStateKey = "pdp.caller";
    private static readonly TimeSpan Revalidate = TimeSpan.FromSeconds(30);

    /// <summary>The caller established for this call.</summary>
    public static CallerIdentity Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserState.TryGetValue(UserStateKey, out var caller) && caller is CallerIdentity identity
            ? identity
            : CallerIdentity.Tcp(string.Empty);
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Establish(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Establish(context);
        return continuation(request, responseStream, context);
    }

    private void Establish(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        // HTTP/2 runs many calls of one connection at once, and the connection's item bag is a plain
        // dictionary: every read and write of it holds its lock.
        var items = http.Features.Get<IConnectionItemsFeature>()?.Items ?? new Dictionary<object, object?>();
        var now = time.GetUtcNow();
        lock (items)
        {
            if (items.TryGetValue(CacheKey, out var cached) && cached is Cached entry && now - entry.At < Revalidate)
            {
                context.UserState[UserStateKey] = entry.Caller;
                return;
            }
        }

        var caller = Resolve(http, now);
        lock (items)
        {
            items[CacheKey] = new Cached(caller, now);
        }

        context.UserState[UserStateKey] = caller;
    }

    private CallerIdentity Resolve(HttpContext http, DateTimeOffset now)
    {
        var address = http.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
        if (http.Request.IsHttps)
        {
            if (svids is null)
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "mTLS is not configured"));
            }

            try
            {
                var id = SvidValidator.Validate(http.Connection.ClientCertificate, svids.Bundles, now);
                return new CallerIdentity("mtls", true, id, null, address);
            }
            catch (SvidRejectedException e)
            {
                metrics.AuthenticationFailures.WithLabels(PdpMetrics.SnakeCase(e.Reason.ToString())).Inc();
                throw new RpcException(new Status(StatusCode.Unauthenticated, e.Message));
            }
        }

        var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket?.AddressFamily == System.Net.Sockets.AddressFamily.Unix && PeerCredentials.Read(socket) is { } peer)
        {
            // The kernel vouches for the peer's uid and gid; that is authentication, without a SPIFFE ID.
            return new CallerIdentity("unix", true, null, peer, string.Empty);
        }

        return CallerIdentity.Tcp(address);
    }

    private sealed record Cached(CallerIdentity Caller, DateTimeOffset At);
}

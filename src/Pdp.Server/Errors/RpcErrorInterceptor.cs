using Grpc.Core;
using Grpc.Core.Interceptors;
using Pdp.Server.Logging;

namespace Pdp.Server.Errors;

/// <summary>Applies <see cref="RpcErrorMapping"/> to every service method.</summary>
public sealed class RpcErrorInterceptor(ILogger<RpcErrorInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(context);
        Task<TResponse> call;
        try
        {
            call = continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context.Method);
        }

        // A call that finished without waiting needs no state machine of its own.
        return call.IsCompletedSuccessfully ? call : AwaitUnary(call, context.Method);
    }

    private async Task<TResponse> AwaitUnary<TResponse>(Task<TResponse> call, string method)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, method);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context.Method);
        }
    }

    private RpcException Translate(Exception e, string method)
    {
        var status = RpcErrorMapping.ToStatus(e);
        if (RpcErrorMapping.IsExpected(e))
        {
            ServerLog.CallRefused(logger, method, status.StatusCode.ToString(), status.Detail);
        }
        else
        {
            ServerLog.UnexpectedFailure(logger, method, e);
        }

        return new RpcException(status);
    }
}

using Pdp.Cli;

return PdpCli.Run(args, Console.Out, Console.Error);

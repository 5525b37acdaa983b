using System.CommandLine;
using Vouch.Cli;
using Vouch.Cli.Commands;
using Vouch.Cli.Terminal;

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
var context = new CliContext(new SystemConsole(), Environment.GetEnvironmentVariable, http);
return await VouchCommandLine.InvokeAsync(args, context);

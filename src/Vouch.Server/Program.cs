using Vouch.Server.Admin;

return await ServerCommandLine.InvokeAsync(args, CommandContext.FromProcess());

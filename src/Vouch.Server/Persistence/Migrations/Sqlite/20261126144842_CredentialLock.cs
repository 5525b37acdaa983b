using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vouch.Server.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CredentialLock : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "locked_at",
                table: "credentials",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "locked_at",
                table: "credentials");
        }
    }
}

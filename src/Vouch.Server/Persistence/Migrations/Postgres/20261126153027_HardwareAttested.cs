using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vouch.Server.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class HardwareAttested : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "hardware_attested",
                table: "credentials",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "hardware_attested",
                table: "credentials");
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vouch.Server.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Administrators : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "is_admin",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // A database from before administrators existed: its earliest enrolled user becomes the administrator,
            // as the first user to enroll is on a new one (ties broken by email).
            migrationBuilder.Sql(
                "UPDATE users SET is_admin = TRUE WHERE id = (SELECT id FROM users ORDER BY created_at, email LIMIT 1);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "is_admin",
                table: "users");
        }
    }
}

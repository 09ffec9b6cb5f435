// Test fixture for rtlnn.sim: four packed 8-bit elements, each plus 3 (mod 256),
// through a 3-stage pipeline (latency 3, II 1). Follows the io_parallel port contract.
module add_pipe (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] in_data,
    input  wire        in_valid,
    output wire [31:0] out_data,
    output wire        out_valid
);
    reg [31:0] s0 = 32'd0, s1 = 32'd0, s2 = 32'd0;
    reg        v0 = 1'b0, v1 = 1'b0, v2 = 1'b0;
    wire [31:0] added = {in_data[31:24] + 8'd3, in_data[23:16] + 8'd3,
                         in_data[15:8] + 8'd3, in_data[7:0] + 8'd3};
    always @(posedge clk) begin
        if (rst) begin
            v0 <= 1'b0; v1 <= 1'b0; v2 <= 1'b0;
        end else begin
            v0 <= in_valid; v1 <= v0; v2 <= v1;
        end
        s0 <= added; s1 <= s0; s2 <= s1;
    end
    assign out_data = s2;
    assign out_valid = v2;
endmodule

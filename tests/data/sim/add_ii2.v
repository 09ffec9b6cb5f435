// Test fixture for rtlnn.sim: same function as add_pipe (+3 on each of four 8-bit
// elements) but computed half a vector per cycle from a held input register:
// latency 3, II 2. `HOLD_ON_VALID` = 1 latches in_data only when in_valid is high
// (correct); 0 latches it every cycle, so the second half is computed from junk.
module add_ii2_core #(parameter HOLD_ON_VALID = 1) (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] in_data,
    input  wire        in_valid,
    output reg  [31:0] out_data = 32'd0,
    output reg         out_valid = 1'b0
);
    reg [31:0] d = 32'd0;
    reg [15:0] lo = 16'd0;
    reg        p1 = 1'b0, p2 = 1'b0;
    always @(posedge clk) begin
        if (in_valid || !HOLD_ON_VALID)
            d <= in_data;
        lo <= {d[15:8] + 8'd3, d[7:0] + 8'd3};
        out_data <= {d[31:24] + 8'd3, d[23:16] + 8'd3, lo};
        if (rst) begin
            p1 <= 1'b0; p2 <= 1'b0; out_valid <= 1'b0;
        end else begin
            p1 <= in_valid; p2 <= p1; out_valid <= p2;
        end
    end
endmodule

module add_ii2 (
    input  wire clk, input wire rst,
    input  wire [31:0] in_data, input wire in_valid,
    output wire [31:0] out_data, output wire out_valid
);
    add_ii2_core #(.HOLD_ON_VALID(1)) core (.clk(clk), .rst(rst), .in_data(in_data),
        .in_valid(in_valid), .out_data(out_data), .out_valid(out_valid));
endmodule

module add_ii2_ignores_valid (
    input  wire clk, input wire rst,
    input  wire [31:0] in_data, input wire in_valid,
    output wire [31:0] out_data, output wire out_valid
);
    add_ii2_core #(.HOLD_ON_VALID(0)) core (.clk(clk), .rst(rst), .in_data(in_data),
        .in_valid(in_valid), .out_data(out_data), .out_valid(out_valid));
endmodule

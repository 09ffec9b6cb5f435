// Test fixture for rtlnn.sim: a broken design. +3 on four 8-bit elements, but even-
// numbered vectors take 3 cycles and odd-numbered ones 4 (inconsistent latency), and
// after 8 accepted vectors out_valid never rises again (missing outputs). Feed with II 2.
module flaky (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] in_data,
    input  wire        in_valid,
    output wire [31:0] out_data,
    output wire        out_valid
);
    reg [31:0] s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    reg [3:0]  v = 0, odd = 0;
    reg [7:0]  count = 0;
    wire [31:0] added = {in_data[31:24] + 8'd3, in_data[23:16] + 8'd3,
                         in_data[15:8] + 8'd3, in_data[7:0] + 8'd3};
    wire take = in_valid && count < 8;
    always @(posedge clk) begin
        if (rst) begin
            v <= 0; count <= 0;
        end else begin
            v <= {v[2:0], take};
            if (in_valid && count != 8'hff) count <= count + 1;
        end
        odd <= {odd[2:0], count[0]};
        s0 <= added; s1 <= s0; s2 <= s1; s3 <= s2;
    end
    assign out_valid = (v[2] && !odd[2]) || (v[3] && odd[3]);
    assign out_data = (v[3] && odd[3]) ? s3 : s2;
endmodule
